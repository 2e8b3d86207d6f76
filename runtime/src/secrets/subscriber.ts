// secrets.subscriber: follows a secrets service's outputs (inotify, no polling) and, when an
// output that a subscribed service reads changes, restarts that service (`svc restart`, which
// renders its secret files again; also one down because its last start refused a value) or sends
// it a signal through s6. Outputs that vanish (the secrets service restarting) are not a change:
// the last values seen stay the reference. Log lines name services and keys, never values.
import { exists } from "../lib/fs";
import { environ, spawnAsync } from "../lib/process";
import type { Graph } from "../svc/graph";
import { watchOutputs, type Watch } from "../svc/outputs";
import { paths } from "../svc/paths";
import { serviceDir } from "../svc/s6";
import { isUp } from "../svc/state";

/** s6-svc's option for each signal it can send. */
export const signals = {
  hup: "-h",
  int: "-i",
  quit: "-q",
  term: "-t",
  usr1: "-1",
  usr2: "-2",
  alrm: "-a",
} satisfies Record<string, string>;

export type Action = "restart" | keyof typeof signals;

export interface Subscription {
  /** The secrets service whose outputs are followed. */
  watched: string;
  services: string[];
  action: Action;
}

/**
 * The output keys of `watched` that `service` reads: the paths of its references (a path may name a folder of keys).
 */
export function readsFrom(graph: Graph, service: string, watched: string): string[] {
  return graph
    .entry(service)
    .outputRefs.filter((r) => r.service === watched)
    .map((r) => r.path);
}

/** The action a command line names: restart, or a signal s6-svc can send. */
export function parseAction(s: string): Action {
  if (s === "restart" || Object.hasOwn(signals, s)) return s as Action;
  throw new Error(`unknown action "${s}" (restart or ${Object.keys(signals).join(", ")})`);
}

/** Checks a subscription against the database; the error names what is wrong. */
export function checkSubscription(graph: Graph, sub: Subscription): void {
  if (!graph.has(sub.watched)) throw new Error(`unknown service "${sub.watched}"`);
  for (const s of sub.services) {
    if (!graph.has(s)) throw new Error(`unknown service "${s}"`);
    if (readsFrom(graph, s, sub.watched).length === 0) throw new Error(`${s} reads no output of ${sub.watched}`);
    if (sub.action !== "restart" && graph.entry(s).type !== "longrun")
      throw new Error(`${s} is a ${graph.entry(s).type}: only a longrun's process can be signalled`);
  }
}

/** The values under `path` (a key, or a folder of keys), or null when there are none. */
function valuesUnder(outputs: Record<string, string>, path: string): string | null {
  const keys = Object.keys(outputs)
    .filter((k) => k === path || k.startsWith(`${path}/`))
    .sort();
  return keys.length === 0 ? null : JSON.stringify(keys.map((k) => [k, outputs[k]]));
}

async function act(graph: Graph, service: string, action: Action, log: (line: string) => void): Promise<void> {
  // a service down renders the new values when it starts, unless its last start refused a value:
  // that one is waiting for this change, and a restart brings it up
  const refused = action === "restart" && exists(paths.refusedOf(service));
  if (!isUp(graph, service) && !refused) return;
  const argv = action === "restart" ? ["svc", "restart", service] : ["s6-svc", signals[action], serviceDir(service)];
  const code = await spawnAsync(argv, {}, environ()).exited;
  if (code !== 0) log(`${argv.join(" ")} failed (exit ${code}); will act again on the next change`);
}

/** Follows `sub.watched` until closed; `log` gets one line per action or failure. */
export function subscribe(graph: Graph, sub: Subscription, log: (line: string) => void): Watch {
  checkSubscription(graph, sub);
  const reads = new Map(sub.services.map((s) => [s, readsFrom(graph, s, sub.watched)]));
  const seen = new Map<string, (string | null)[]>();
  let queue = Promise.resolve();
  return watchOutputs(sub.watched, (outputs) => {
    for (const [service, paths] of reads) {
      const now = paths.map((p) => valuesUnder(outputs, p));
      if (now.includes(null)) continue;
      const before = seen.get(service);
      seen.set(service, now);
      const changed = before ? paths.filter((_, i) => before[i] !== now[i]) : [];
      if (changed.length === 0) continue;
      log(
        `${sub.watched} changed ${changed.join(", ")}: ${sub.action === "restart" ? "restarting" : `sending ${sub.action.toUpperCase()} to`} ${service}`,
      );
      queue = queue.then(() => act(graph, service, sub.action, log));
    }
  });
}
