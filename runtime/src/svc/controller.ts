// What the controllers (health-check, round-robin, watchdog) share: their log line, svc's
// transitions taken under svc's lock (released after each, so `svc` calls are not held up), and
// waiting for a longrun's supervisor to report a change — inotify on its supervise directory,
// no polling.
import * as os from "qjs:os";
import * as std from "qjs:std";
import * as native from "limen:native";
import { exists } from "../lib/fs";
import { loadGraph, type Graph } from "./graph";
import { paths } from "./paths";
import { readStatus, serviceDir, type SuperviseStatus } from "./s6";
import { change, lockTransitions } from "./transitions";

/** A wrong invocation (the template wrote the run script: a bug or a hand-written call). */
export class UsageError extends Error {}

export function logger(command: string): (message: string) => void {
  return (message) => {
    std.err.puts(`${command}: ${message}\n`);
    std.err.flush();
  };
}

/** The database, with every name in `names` known and of a type in `types`. */
export function graphWith(names: string[], types: string[]): Graph {
  const graph = loadGraph(paths.database);
  for (const name of names) {
    if (!graph.has(name)) throw new UsageError(`unknown service "${name}" (not in ${paths.database})`);
    const type = graph.entry(name).type;
    if (!types.includes(type))
      throw new UsageError(`service "${name}" is a ${type}; this controller takes ${types.join(" or ")} services`);
  }
  return graph;
}

/** `svc start` or `svc stop` of `names` under svc's lock; returns svc's exit status. */
export async function transition(graph: Graph, direction: "up" | "down", names: string[]): Promise<number> {
  const fd = lockTransitions();
  try {
    return await change(graph, direction, names);
  } finally {
    os.close(fd);
  }
}

/** Whether the longrun's process runs and, when it notifies readiness, said it is ready. */
export function running(graph: Graph, name: string, s: SuperviseStatus | null = readStatus(name)): boolean {
  if (s === null || s.pid === 0) return false;
  return graph.entry(name).notificationFd === null || s.ready;
}

const statusEvents = native.IN_MOVED_TO | native.IN_CLOSE_WRITE | native.IN_CREATE;

/**
 * Resolves with the supervisor's status once `done` holds for it (checked now, then at each
 * change s6-supervise writes). The service must be supervised (its supervise directory exists).
 */
export function statusWhen(
  name: string,
  done: (s: SuperviseStatus | null) => boolean,
): Promise<SuperviseStatus | null> {
  const dir = `${serviceDir(name)}/supervise`;
  if (!exists(dir)) return Promise.reject(new Error(`${name} is not supervised (no ${dir})`));
  const fd = native.inotifyInit();
  native.inotifyAddWatch(fd, dir, statusEvents);
  return new Promise((resolve, reject) => {
    const check = (): void => {
      try {
        const s = readStatus(name);
        if (!done(s)) return;
        os.setReadHandler(fd, null);
        os.close(fd);
        resolve(s);
      } catch (e) {
        os.setReadHandler(fd, null);
        os.close(fd);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    };
    os.setReadHandler(fd, () => {
      native.inotifyRead(fd);
      check();
    });
    check();
  });
}

export const sleep = (ms: number): Promise<void> => os.sleepAsync(ms);

export { clock } from "../lib/process";

/** A whole number of milliseconds from a command-line word, or a usage error naming it. */
export function millisArg(value: string | undefined, what: string): number {
  const n = Number(value);
  if (value === undefined || value === "" || !Number.isInteger(n) || n < 0)
    throw new UsageError(`${what} must be a whole number of milliseconds >= 0, got ${JSON.stringify(value ?? "")}`);
  return n;
}

/** Runs a controller's main loop; usage errors exit 100, anything else 111, each with one line. */
export async function runController(command: string, usage: string, body: () => Promise<never>): Promise<number> {
  const log = logger(command);
  try {
    return await body();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log(message);
    if (e instanceof UsageError) std.err.puts(`usage: ${usage}\n`);
    return e instanceof UsageError ? 100 : 111;
  }
}
