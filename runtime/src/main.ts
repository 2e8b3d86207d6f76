// Entry point of the limen executable: picks the command from argv[0] (a symlink such as `svc`)
// or from the first argument, and loads only that command's module.
import * as std from "qjs:std";
import { cpu, engineVersion } from "limen:native";

interface Command {
  summary: string;
  load: () => Promise<{ main(args: string[]): Promise<number> | number }>;
}

const commands: Record<string, Command> = {
  selftest: {
    summary: "check the engine and the kernel interface on this machine",
    load: () => import("./commands/selftest"),
  },
  svc: {
    summary: "service manager: list, status, start, stop, outputs, log (svc --help)",
    load: () => import("./commands/svc"),
  },
  preinit: {
    summary: "process 1 of an initramfs: load modules, mount the root, start its init",
    load: () => import("../../init/preinit"),
  },
  init: {
    summary: "process 1: mount, hostname, scan directory, then s6-svscan",
    load: () => import("../../init/init"),
  },
  sysctl: {
    summary: "set the kernel parameters of /etc/limen/sysctl.conf again (init sets them at boot)",
    load: () => import("../../init/sysctl"),
  },
  shutdown: {
    summary: "stop every service, then s6-svscan (restart|halt|poweroff)",
    load: () => import("../../init/shutdown"),
  },
  finish: {
    summary: "s6-svscan's finish: end what is left, restart or power off",
    load: () => import("../../init/shutdown").then((m) => ({ main: m.finish })),
  },
  secrets: {
    summary: "runtime secrets: render a service's secret files, clear them (secrets --help)",
    load: () => import("./commands/secrets"),
  },
  outboard: {
    summary: "secrets.outboard: fetch a JSON secrets document over HTTP(S) and publish it as outputs",
    load: () => import("./secrets/outboard"),
  },
  "health-check": {
    summary: "controller: start a longrun, check it every interval, restart it after repeated failures",
    load: () => import("./controllers/health-check"),
  },
  "round-robin": {
    summary: "controller: keep one of several longruns up, failing over in turn; a proxy shows its outputs",
    load: () => import("./controllers/round-robin"),
  },
  watchdog: {
    summary: "controller: feed /dev/watchdog while the watched services are up",
    load: () => import("./controllers/watchdog"),
  },
  "uevent-rule": {
    summary: "controller: keep a service up while a matching device is present (uevent-rule --help)",
    load: () => import("./controllers/uevent-rule"),
  },
  ifwait: {
    summary: "controller: keep a service up while a network interface is up (ifwait --help)",
    load: () => import("./controllers/ifwait"),
  },
  logread: {
    summary: "print the collated log of every service (logread [-f] [-e PATTERN]); svc log NAME for one",
    load: () => import("./commands/logread"),
  },
  output: {
    summary: "print a service output (output SERVICE KEY), or set one (output --set [--secret] SERVICE KEY [VALUE])",
    load: () => import("./commands/output"),
  },
};

/** Exit status for a wrong invocation, as s6 tools use it. */
const usageError = 100;

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return ["usage: limen <command> [args...]", "       limen --version", "commands:", ...lines].join("\n");
}

/** The command argv names (through a symlink such as `svc`, or as limen's first argument), and its arguments. */
function invoked(argv: string[]): [string | undefined, string[]] {
  const self = (argv[0] ?? "limen").split("/").pop() ?? "limen";
  return Object.hasOwn(commands, self) ? [self, argv.slice(1)] : [argv[1], argv.slice(2)];
}

async function dispatch(argv: string[]): Promise<number> {
  const [name, args] = invoked(argv);
  if (name === "--version" || name === "version") {
    console.log(`limen ${LIMEN_VERSION} (QuickJS-ng ${engineVersion}, ${cpu})`);
    return 0;
  }
  if (name === "--help" || name === "help") {
    console.log(usage());
    return 0;
  }
  const command = name === undefined ? undefined : Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    std.err.puts(`limen: ${name === undefined ? "no command given" : `unknown command "${name}"`}\n${usage()}\n`);
    return usageError;
  }
  return (await command.load()).main(args);
}

/**
 * Runs the command; what it did not handle ends it with one line naming the command (s6 restarts
 * a controller; a stack trace would say nothing more to whoever reads the log) and status 111.
 */
async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    std.err.puts(`${invoked(argv)[0] ?? "limen"}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 111;
  }
}

std.exit(await main(scriptArgs));
