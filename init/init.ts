// `limen init`: PID 1 at boot. Mounts the kernel filesystems, /run and /tmp, brings the loopback
// link up, makes the homes that live on /run, sets the hostname, builds the s6 scan directory
// (services, catch-all logger, a one-time boot service and the signal scripts that shut down),
// then becomes s6-svscan with its output going to the logger.
import * as os from "qjs:os";
import * as std from "qjs:std";
import * as native from "limen:native";
import { exists, mkdirs, writeAtomic } from "../runtime/src/lib/fs";
import { setLinkUp } from "../runtime/src/lib/netlink";
import { environ, wait } from "../runtime/src/lib/process";
import { initServices } from "../runtime/src/svc/database";
import { loadGraph } from "../runtime/src/svc/graph";
import { paths } from "../runtime/src/svc/paths";
import { groupId, readPasswd } from "./accounts";
import { buildScanDir } from "./scan-dir";
import { applySysctl } from "./sysctl";

/** The tty group's conventional id, for an image without a tty group. */
const defaultTtyGid = 5;

/** What init mounts, in order; pseudo-terminals (ssh sessions) belong to their user and the tty group. */
function earlyMounts(ttyGid: number): [fstype: string, target: string, flags: number, data: string][] {
  const kernel = native.MS_NOSUID | native.MS_NODEV | native.MS_NOEXEC;
  return [
    ["proc", "/proc", kernel, ""],
    ["sysfs", "/sys", kernel, ""],
    ["devtmpfs", "/dev", native.MS_NOSUID, "mode=0755"],
    ["devpts", "/dev/pts", native.MS_NOSUID | native.MS_NOEXEC, `mode=620,ptmxmode=666,gid=${ttyGid}`],
    ["tmpfs", "/run", native.MS_NOSUID | native.MS_NODEV, "mode=0755"],
    ["tmpfs", "/tmp", native.MS_NOSUID | native.MS_NODEV, "mode=1777"],
  ];
}

/** Signals s6-svscan receives as PID 1 (busybox reboot/halt/poweroff, Ctrl-Alt-Del) and what they do. */
const shutdownSignals: Record<string, "restart" | "halt" | "poweroff"> = {
  SIGTERM: "restart",
  SIGINT: "restart",
  SIGUSR1: "halt",
  SIGUSR2: "poweroff",
};

function script(path: string, body: string): void {
  writeAtomic(path, `#!/bin/sh\n${body}\n`, 0o755);
  native.chmod(path, 0o755);
}

function mountEarly(): void {
  for (const [fstype, target, flags, data] of earlyMounts(groupId(paths.group, "tty") ?? defaultTtyGid)) {
    const at = `${paths.root}${target}`;
    mkdirs(at);
    try {
      native.mount(fstype, at, fstype, flags, data);
    } catch (e) {
      // the kernel may have mounted devtmpfs already (CONFIG_DEVTMPFS_MOUNT)
      if ((e as native.NativeError).code !== "EBUSY") throw e;
    }
  }
  // a devtmpfs without the ptmx node (it is the kernel's to make): openpty() finds devpts's own
  const ptmx = `${paths.root}/dev/ptmx`;
  const made = exists(ptmx) ? 0 : os.symlink("pts/ptmx", ptmx);
  if (made < 0) throw new Error(`symlink ${ptmx}: ${std.strerror(-made)}`);
}

/** Homes on the /run tmpfs are gone at every boot: made again here, owned by their user (the image has the others). */
function makeRunHomes(): void {
  for (const a of readPasswd(paths.passwd)) {
    if (!a.home.startsWith("/run/")) continue;
    const at = `${paths.root}${a.home}`;
    mkdirs(at);
    native.chown(at, a.uid, a.gid);
    native.chmod(at, 0o755);
  }
}

function setHostname(): void {
  const name = std.loadFile(paths.hostname)?.trim();
  if (name) native.sethostname(name);
}

/** s6-svscan's own scripts: signals shut down, and `finish` ends the system when it exits. */
function bootstrap(): void {
  const control = `${paths.scan}/.s6-svscan`;
  mkdirs(control);
  for (const [signal, action] of Object.entries(shutdownSignals))
    script(`${control}/${signal}`, `exec limen shutdown ${action}`);
  script(`${control}/finish`, "exec limen finish");
}

/** A service that brings up the default set once: s6-svc -O keeps s6 from running it again when it exits. */
function bootService(): void {
  const boot = `${paths.scan}/${initServices.boot}`;
  mkdirs(boot);
  script(`${boot}/run`, "s6-svc -O .\nexec limen svc boot");
}

/** Whether root has a password to log in with (not locked: "!", "*", "!!"). */
function rootCanLogIn(): boolean {
  const shadow = std.loadFile(paths.shadow) ?? "";
  return /^root:\$/m.test(shadow);
}

/**
 * Without its services, the system still gets a login prompt on the console when root may log in
 * (busybox's getty and login, linked or not), so a person there can see why and mend it; s6-svscan
 * still shuts down on the usual signals. Returns what it says on the console.
 */
function rescue(): string {
  if (!rootCanLogIn()) return "root has no password: no login prompt on the console";
  const dir = `${paths.scan}/${initServices.rescue}`;
  mkdirs(dir);
  // busybox runs the applet its argv[0] names: getty starts this link as login
  const login = `${dir}/login`;
  if (!exists(login)) os.symlink("/bin/busybox", login);
  script(`${dir}/run`, `exec busybox getty -L -l ${login} 115200 console vt100`);
  return "a root login prompt on the console";
}

/** Runs each step, keeping what went wrong instead of stopping: init must come up whatever fails. */
function attempt(problems: string[], what: string, step: () => void): boolean {
  try {
    step();
    return true;
  } catch (e) {
    problems.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}

export function main(args: string[]): number {
  if (args.length > 0 || os.getpid() !== 1) {
    std.err.puts("usage: limen init (as process 1, started by the kernel)\n");
    return 100;
  }
  const problems: string[] = [];
  attempt(problems, "mounting", mountEarly);
  // services (and a person at the console) may talk to 127.0.0.1 from the start
  attempt(problems, "lo", () => setLinkUp("lo"));
  attempt(problems, "homes", makeRunHomes);
  attempt(problems, "hostname", setHostname);
  const services = attempt(problems, "services", () => buildScanDir(loadGraph(paths.database)));
  attempt(problems, "s6-svscan's scripts", bootstrap);
  if (services) attempt(problems, "boot", bootService);
  else attempt(problems, "rescue", () => problems.push(`no services started; ${rescue()}`));
  // what went wrong is said on the console, where a person can read it without the log
  for (const p of problems) std.err.puts(`init: ${p}\n`);
  const fifo = services ? os.open(paths.logFifo, os.O_RDWR) : -1;
  if (fifo >= 0) {
    os.dup2(fifo, 1);
    os.dup2(fifo, 2);
    os.close(fifo);
  }
  // before any service starts; a warning goes to the log, where logread shows it
  attempt(problems, "sysctl", () => applySysctl((m) => std.err.puts(`init: sysctl ${m}\n`)));
  try {
    native.exec(["s6-svscan", paths.scan], environ());
  } catch (e) {
    std.err.puts(`init: s6-svscan: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  return lastResort();
}

/** Without s6-svscan: a shell on the console, again after each exit (process 1 must not end). */
function lastResort(): never {
  for (;;) {
    try {
      wait(native.spawn(["/bin/sh"], environ(), {}));
    } catch (e) {
      std.err.puts(`init: /bin/sh: ${e instanceof Error ? e.message : String(e)}\n`);
      os.sleep(10_000);
    }
  }
}
