// `svc`: s6-rc's service management over plain s6 (see the usage text below).
import * as std from "qjs:std";
import { DatabaseError, loadGraph, type Graph } from "../svc/graph";
import { readLog } from "../svc/log";
import { readOutput, readOutputs, watchOutputs } from "../svc/outputs";
import { paths } from "../svc/paths";
import { buildScanDir } from "../../../init/scan-dir";
import { bootWaiting, isUp, ownState, stateOf, upTree, type ServiceState } from "../svc/state";
import { formatStamp } from "../svc/tai";
import { boot, change, heldFor, lockTransitions } from "../svc/transitions";

const usageText = `usage: svc [--json] COMMAND
  list [--down|--all]        services up (--down: those down, --all: all with their state)
  status [NAME...]           state, pid, readiness, since when, last exit, why a start was refused
  deps [--all] NAME          what NAME needs (--all: transitively)
  rdeps [--all] NAME         what needs NAME (--all: transitively)
  start NAME...              bring NAME up, with what it needs
  stop NAME... | stop --all  bring NAME down, with what needs it (--all: everything, dependents first)
  restart NAME...            stop, then start NAME and what needed it and was up
  up-tree NAME...            start NAME and what needs it, except what needs a controlled service that is down
  boot                       start the default set (all but controlled services and what needs them);
                             a longrun not ready in time stays starting, what needs it starts once it is
  outputs [--watch] NAME [KEY]  a service's outputs (--watch: print them again on each change)
  log [NAME]                 the collated log with readable UTC time
  init                       build the s6 scan directory (at boot, before s6-svscan)
exit: 0 ok, 1 a transition failed, 2 a timeout, 3 unknown service, 4 bad database, 100 usage, 111 system error`;

class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Flags each command accepts and how many names: [min, max]. */
const grammar: Record<string, { flags: string[]; names: [number, number] }> = {
  list: { flags: ["--down", "--all"], names: [0, 0] },
  status: { flags: [], names: [0, Infinity] },
  deps: { flags: ["--all"], names: [1, 1] },
  rdeps: { flags: ["--all"], names: [1, 1] },
  start: { flags: [], names: [1, Infinity] },
  stop: { flags: ["--all"], names: [0, Infinity] },
  restart: { flags: [], names: [1, Infinity] },
  "up-tree": { flags: [], names: [1, Infinity] },
  boot: { flags: [], names: [0, 0] },
  outputs: { flags: ["--watch"], names: [1, 2] },
  log: { flags: [], names: [0, 1] },
  init: { flags: [], names: [0, 0] },
};

function print(json: boolean, value: unknown, text: () => string[]): void {
  const lines = json ? [JSON.stringify(value)] : text();
  if (lines.length > 0) std.out.puts(lines.join("\n") + "\n");
}

function known(graph: Graph, names: string[]): void {
  const unknown = names.filter((n) => !graph.has(n));
  if (unknown.length > 0) throw new Exit(3, `unknown service${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`);
}

function stateJson({ up, since, ...rest }: ServiceState): Record<string, unknown> {
  return {
    ...rest,
    state: up ? "up" : "down",
    ...(since ? { since: new Date(since.seconds * 1000).toISOString() } : {}),
  };
}

function stateText(s: ServiceState): string {
  const parts = [s.name, s.up ? "up" : "down", s.type];
  if (s.supervised === false) parts.push("not-supervised");
  if (s.pid) parts.push(`pid=${s.pid}`);
  if (s.ready !== undefined && s.up) parts.push(`ready=${s.ready ? "yes" : "no"}`);
  if (s.since) parts.push(`since=${formatStamp(s.since).replace(" ", "T").slice(0, 19)}Z`);
  if (s.lastExit !== undefined && s.lastExit !== null && s.supervised) parts.push(`last-exit=${s.lastExit}`);
  if (s.waitingFor) parts.push(`waiting-for=${s.waitingFor.join(",")}`);
  if (s.refused !== undefined) parts.push(`refused: ${s.refused}`);
  else if (s.failed !== undefined) parts.push(`failed: ${s.failed}`);
  return parts.join(" ");
}

/** Bundles stand for their contents when stopping. */
function expandBundles(graph: Graph, names: string[]): string[] {
  const out = new Set<string>();
  const add = (n: string): void => {
    out.add(n);
    if (graph.entry(n).type === "bundle") graph.deps(n).forEach(add);
  };
  names.forEach(add);
  return [...out];
}

async function watch(graph: Graph, name: string, json: boolean): Promise<number> {
  known(graph, [name]);
  watchOutputs(name, (outputs) => {
    print(json, outputs, () => [
      Object.entries(outputs)
        .map(([k, v]) => `${k}=${v.trimEnd()}`)
        .join(" "),
    ]);
    std.out.flush();
  });
  // runs until killed: the inotify handler keeps the event loop alive
  return new Promise<number>(() => {});
}

/** A oneshot's script runs while svc holds its lock: a change from there would wait for itself. */
function notInsideTransition(command: string): void {
  const holder = std.getenv(heldFor);
  if (holder === undefined) return;
  throw new Exit(
    1,
    `${command}: called from ${holder}'s script, which runs while svc holds its lock: it would wait for itself (make what it starts a dependency instead)`,
  );
}

async function run(command: string, flags: Set<string>, names: string[]): Promise<number> {
  const json = flags.has("--json");
  const graph = loadGraph(paths.database);
  switch (command) {
    case "list": {
      const states = graph.names().map((n) => ownState(graph, n));
      const shown = flags.has("--all") ? states : states.filter((s) => s.up !== flags.has("--down"));
      print(
        json,
        shown.map((s) => ({ name: s.name, type: s.type, state: s.up ? "up" : "down" })),
        () =>
          flags.has("--all")
            ? shown.map((s) => `${s.name} ${s.up ? "up" : "down"} ${s.type}`)
            : shown.map((s) => s.name),
      );
      return 0;
    }
    case "status": {
      known(graph, names);
      const waiting = bootWaiting();
      const states = (names.length > 0 ? names : graph.names()).map((n) => stateOf(graph, n, waiting));
      print(json, names.length === 1 ? stateJson(states[0]) : states.map(stateJson), () => states.map(stateText));
      return 0;
    }
    case "deps":
    case "rdeps": {
      known(graph, names);
      const way = command;
      const list = flags.has("--all")
        ? graph.closure(names[0], way)
        : way === "deps"
          ? graph.deps(names[0])
          : graph.rdeps(names[0]);
      print(json, list, () => list);
      return 0;
    }
    case "outputs": {
      known(graph, names.slice(0, 1));
      const [name, key] = names as [string, string | undefined];
      if (flags.has("--watch")) {
        if (key !== undefined) throw new Exit(100, "outputs --watch takes a service name only");
        return watch(graph, name, json);
      }
      if (key === undefined) {
        const all = readOutputs(name);
        print(json, all, () => Object.entries(all).map(([k, v]) => `${k}=${v.trimEnd()}`));
        return 0;
      }
      const value = readOutput(name, key);
      if (value === null) throw new Exit(1, `${name} has no output ${key}`);
      if (json) print(true, value, () => []);
      else std.out.puts(value);
      return 0;
    }
    case "log": {
      known(graph, names);
      const lines = readLog(names[0]);
      print(json, lines, () => lines);
      return 0;
    }
    case "init":
      notInsideTransition(command);
      lockTransitions();
      buildScanDir(graph);
      return 0;
    case "boot":
      notInsideTransition(command);
      // takes the lock for each of its passes: while it waits for a slow service, svc is free
      return boot(graph, graph.defaultSet());
  }
  known(graph, names);
  notInsideTransition(command);
  // held for the rest of the process: concurrent calls wait their turn
  lockTransitions();
  switch (command) {
    case "start":
      return change(graph, "up", names);
    case "stop":
      return change(graph, "down", flags.has("--all") ? graph.names() : expandBundles(graph, names));
    case "restart": {
      const affected = [...new Set(names.flatMap((n) => [n, ...graph.closure(n, "rdeps")]))];
      const wasUp = affected.filter((n) => isUp(graph, n));
      const down = await change(graph, "down", expandBundles(graph, names));
      if (down !== 0) return down;
      return change(graph, "up", [...new Set([...names, ...wasUp])]);
    }
    case "up-tree":
      return change(graph, "up", [...new Set(names.flatMap((n) => upTree(graph, n)))]);
  }
  throw new Exit(100, `unknown command "${command}"`);
}

function parse(args: string[]): { command: string; flags: Set<string>; names: string[] } {
  const flags = new Set(args.filter((a) => a.startsWith("-")));
  const [command, ...names] = args.filter((a) => !a.startsWith("-"));
  if (command === undefined) throw new Exit(100, "no command given");
  const rule = Object.hasOwn(grammar, command) ? grammar[command] : undefined;
  if (!rule) throw new Exit(100, `unknown command "${command}"`);
  const bad = [...flags].filter((f) => f !== "--json" && !rule.flags.includes(f));
  if (bad.length > 0) throw new Exit(100, `${command}: unknown option ${bad.join(", ")}`);
  if (flags.has("--down") && flags.has("--all")) throw new Exit(100, "list: --down and --all exclude each other");
  if (command === "stop" && flags.has("--all") === names.length > 0)
    throw new Exit(100, "stop: give service names or --all");
  if (names.length < rule.names[0] || names.length > rule.names[1]) {
    throw new Exit(
      100,
      `${command}: expects ${rule.names[0] === rule.names[1] ? rule.names[0] : `${rule.names[0]} or more`} name(s), got ${names.length}`,
    );
  }
  return { command, flags, names };
}

export async function main(args: string[]): Promise<number> {
  try {
    if (args.includes("--help")) {
      console.log(usageText);
      return 0;
    }
    const { command, flags, names } = parse(args);
    return await run(command, flags, names);
  } catch (e) {
    const [code, message] =
      e instanceof Exit
        ? [e.code, e.message]
        : e instanceof DatabaseError
          ? [4, e.message]
          : [111, e instanceof Error ? e.message : String(e)];
    std.err.puts(`svc: ${message}\n${code === 100 ? usageText + "\n" : ""}`);
    std.out.flush();
    return code;
  }
}
