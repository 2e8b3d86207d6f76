// Boot and shutdown for real, on the host: `limen init` runs as process 1 of new PID, mount, UTS
// and network namespaces (so its mounts, hostname, loopback link and final reboot() stay in
// there), builds the scan directory, becomes s6-svscan and brings up the default set; a signal to
// it shuts down.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Bed } from "./bed.ts";
import { settle, until } from "../lib/until.ts";

// Needs root (namespaces, mounts), as the whole test suite runs.
describe("boot and shutdown as process 1", () => {
  let bed: Bed;
  let unshare: ChildProcess;
  let init = 0;
  let ended: Promise<NodeJS.Signals | number | null>;

  /** Runs a command inside the namespaces of our process 1. */
  const inside = (...command: string[]): string =>
    spawnSync("nsenter", ["-t", String(init), "-m", "-p", "-u", "-n", "--", ...command], {
      env: bed.env,
      encoding: "utf8",
    }).stdout;

  /** What process 1 printed on its console (our unshare's stderr). */
  let console = "";

  async function boot(corrupt = false): Promise<void> {
    bed = new Bed({
      a: { type: "longrun", run: `echo "a says hello"; exec sleep 1000` },
      b: { type: "oneshot", dependencies: ["a"], up: `echo "up b" >> events`, down: `echo "down b" >> events` },
      c: { type: "oneshot", dependencies: ["b"], up: `echo "up c" >> events`, down: `echo "down c" >> events` },
      usb: { type: "oneshot", controlled: true },
      backup: { type: "oneshot", dependencies: ["usb", "a"] },
    });
    writeFileSync(bed.layout.hostname, "limen-test\n");
    writeFileSync(bed.layout.passwd, "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/run/home/alice:/bin/sh\n");
    writeFileSync(bed.layout.group, "root:x:0:\ntty:x:7:\n");
    // a key no kernel has (this one's /proc/sys is the host's: nothing may be written there)
    writeFileSync(bed.layout.sysctl, "net.limen.no_such_key = 1\n");
    const namespaces = ["--pid", "--fork", "--mount", "--uts", "--net", "--propagation", "private"];
    // root's password locked: a rescue offers no console login (the test's console is the host's)
    writeFileSync(bed.path("etc/shadow"), "root:!:1::::::\n");
    if (corrupt) writeFileSync(bed.layout.database, '{"version": 1, "services": {"a": ');
    console = "";
    unshare = spawn("unshare", [...namespaces, "limen", "init"], { env: bed.env, stdio: ["ignore", "ignore", "pipe"] });
    unshare.stderr?.on("data", (b: Buffer) => (console += b.toString()));
    ended = new Promise((r) => unshare.on("exit", (code, signal) => r(signal ?? code)));
    for (let i = 0; i < 100 && init === 0; i++) {
      await settle(50);
      init = Number(spawnSync("pgrep", ["-P", String(unshare.pid)], { encoding: "utf8" }).stdout.trim()) || 0;
    }
    if (!corrupt) await until("a, b and c up inside", () => inside("svc", "list") === "a\nb\nc\n", 10_000);
  }

  afterEach(async () => {
    if (unshare.exitCode === null && unshare.signalCode === null) {
      unshare.kill("SIGKILL");
      if (init) process.kill(init, "SIGKILL");
    }
    init = 0;
    await bed.stop();
  });

  it("mounts, names the host, starts the default set with its logs, and restarts on SIGTERM after stopping everything", async () => {
    await boot();
    // a new network namespace's loopback link is down until init brings it up
    expect(inside("ip", "-o", "link", "show", "lo")).toMatch(/<LOOPBACK,UP,LOWER_UP>/);
    expect(inside("stat", "-c", "%u %g %a", bed.path("run/home/alice"))).toBe("1000 1000 755\n");
    expect(inside("svc", "list")).toBe("a\nb\nc\n");
    expect(inside("svc", "list", "--down")).toBe("backup\nusb\n");
    expect(inside("hostname")).toBe("limen-test\n");
    const mounts = readFileSync(`/proc/${init}/mounts`, "utf8").split("\n");
    const fields = mounts.map((l) => l.split(" ").slice(0, 3).join(" "));
    for (const [fs, at] of [
      ["proc", "/proc"],
      ["sysfs", "/sys"],
      ["devtmpfs", "/dev"],
      ["devpts", "/dev/pts"],
      ["tmpfs", "/run"],
      ["tmpfs", "/tmp"],
    ]) {
      expect(fields).toContain(`${fs} ${bed.path(at.slice(1))} ${fs}`);
    }
    // terminals belong to the image's tty group; /tmp is everyone's, with the sticky bit
    const options = (at: string) => mounts.find((l) => l.split(" ")[1] === bed.path(at))?.split(" ")[3] ?? "";
    expect(options("dev/pts").split(",")).toEqual(expect.arrayContaining(["gid=7", "mode=620", "ptmxmode=666"]));
    expect(inside("stat", "-c", "%a", bed.path("tmp"))).toBe("1777\n");
    expect(inside("svc", "log", "a")).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} a a says hello\n$/);
    // the missing kernel parameter was a warning in the log, and the boot went on
    expect(inside("logread", "-e", "init: sysctl")).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} init: sysctl net\.limen\.no_such_key: no such key in this kernel\n$/,
    );
    process.kill(init, "SIGTERM");
    // reboot(RESTART) from process 1 of a PID namespace ends that process with SIGHUP
    expect(await ended).toBe("SIGHUP");
    expect(bed.events()).toEqual(["up b", "up c", "down c", "down b"]);
  });

  it("powers off on SIGUSR2", async () => {
    await boot();
    expect(inside("svc", "list")).toBe("a\nb\nc\n");
    process.kill(init, "SIGUSR2");
    // reboot(POWER_OFF) from process 1 of a PID namespace ends that process with SIGINT
    expect(await ended).toBe("SIGINT");
    expect(bed.events().slice(-2)).toEqual(["down c", "down b"]);
  });
  it("shuts down though something holds svc's lock, after waiting 10 s for it", { timeout: 40_000 }, async () => {
    await boot();
    // a transition that never ends, as a stuck one would (flock(1) takes the same flock)
    const holder = spawn("nsenter", ["-t", String(init), "-m", "-p", "--", "flock", bed.layout.lock, "sleep", "1000"], {
      stdio: "ignore",
    });
    const held = () =>
      spawnSync("nsenter", ["-t", String(init), "-m", "--", "flock", "-n", bed.layout.lock, "true"]).status === 1;
    await until("the lock held", held, 5_000);
    const asked = Date.now();
    process.kill(init, "SIGTERM");
    expect(await ended).toBe("SIGHUP");
    expect(Date.now() - asked).toBeGreaterThanOrEqual(10_000);
    expect(bed.events()).toEqual(["up b", "up c", "down c", "down b"]);
    holder.kill("SIGKILL");
  });
  it("comes up without its services when their database is corrupt, says why on the console, and still shuts down", async () => {
    await boot(true);
    await until(
      "init's word on the console",
      () => console.includes("no services started"),
      10_000,
      () => console,
    );
    expect(console).toMatch(/^init: services: service database: .*services\.json/m);
    expect(console).toContain("init: no services started; root has no password: no login prompt on the console\n");
    // process 1 is s6-svscan, not a dead init: the machine stays up, signals still work
    await until("s6-svscan as process 1", () => inside("cat", bed.path("proc/1/comm")) === "s6-svscan\n", 5_000);
    expect(inside("hostname")).toBe("limen-test\n");
    process.kill(init, "SIGTERM");
    await until(
      "the end",
      () => unshare.exitCode !== null || unshare.signalCode !== null,
      20_000,
      () => console,
    );
    expect(await ended).toBe("SIGHUP");
  });
});
