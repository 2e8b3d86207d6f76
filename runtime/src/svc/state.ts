// Whether a service is up, and what is known about it. A longrun is up when s6 was last told to
// keep it up (s6 restarts a dying process; it stays up for svc); a oneshot when its up script
// succeeded and no down followed (a state file); a bundle when all its contents are up.
import * as os from "qjs:os";
import * as std from "qjs:std";
import { exists } from "../lib/fs";
import type { Graph } from "./graph";
import { paths } from "./paths";
import { readStatus } from "./s6";
import type { Stamp } from "./tai";

export interface ServiceState {
  name: string;
  type: string;
  up: boolean;
  /** longrun: running process (0 for none); ready: up and ready. */
  pid?: number;
  ready?: boolean;
  since?: Stamp;
  lastExit?: number | null;
  /** longrun: false when no s6-supervise watches it (scan directory not built). */
  supervised?: boolean;
  /** Down while boot waits for these services to be ready. */
  waitingFor?: string[];
  /** Down: why its last start was refused (secrets render), when it was. */
  refused?: string;
  /** Down: why it did not come up the last time svc tried (a script's failure, what it needed). */
  failed?: string;
}

/** What boot says each service still down waits for (nothing once boot is done). */
export function bootWaiting(): Record<string, string[]> {
  const text = std.loadFile(paths.bootWaiting);
  if (text === null) return {};
  try {
    return JSON.parse(text) as Record<string, string[]>;
  } catch {
    // boot writes it atomically: a torn file is not ours, and says nothing
    return {};
  }
}

export function isUp(graph: Graph, name: string): boolean {
  switch (graph.entry(name).type) {
    case "longrun":
      return readStatus(name)?.wantUp ?? false;
    case "oneshot":
      return exists(paths.oneshotUp(name));
    case "bundle":
      return graph.deps(name).every((d) => isUp(graph, d));
  }
}

/**
 * What `svc status` shows: the service's own state and, when down, what boot waits for (`waiting`,
 * read once by the caller), any refusal, and why its last start failed.
 */
export function stateOf(graph: Graph, name: string, waiting: Record<string, string[]>): ServiceState {
  const state = ownState(graph, name);
  if (state.up) return state;
  const waitingFor = waiting[name];
  const refused = std.loadFile(paths.refusedOf(name))?.trimEnd();
  const failed = std.loadFile(paths.failedOf(name))?.trimEnd();
  return {
    ...state,
    ...(waitingFor === undefined ? {} : { waitingFor }),
    ...(refused === undefined ? {} : { refused }),
    ...(failed === undefined ? {} : { failed }),
  };
}

/** Up or down, the process, readiness: s6's and svc's own files, nothing boot or secrets add. */
export function ownState(graph: Graph, name: string): ServiceState {
  const type = graph.entry(name).type;
  if (type === "longrun") {
    const s = readStatus(name);
    if (s === null) return { name, type, up: false, supervised: false };
    // without a notification fd, started counts as ready
    const ready = graph.entry(name).notificationFd === null ? s.pid !== 0 : s.ready;
    return { name, type, up: s.wantUp, pid: s.pid, ready, since: s.since, lastExit: s.lastExit, supervised: true };
  }
  if (type === "oneshot") {
    const [st, err] = os.stat(paths.oneshotUp(name));
    if (err !== 0) return { name, type, up: false };
    return {
      name,
      type,
      up: true,
      since: { seconds: Math.floor(st.mtime / 1000), nanoseconds: (st.mtime % 1000) * 1e6 },
    };
  }
  return { name, type, up: isUp(graph, name) };
}

/** `up-tree`: NAME and what needs it, leaving out what needs a controlled service that is down. */
export function upTree(graph: Graph, name: string): string[] {
  const blocked = (n: string): boolean =>
    [n, ...graph.closure(n, "deps")].some((m) => m !== name && graph.entry(m).controlled && !isUp(graph, m));
  return [name, ...graph.closure(name, "rdeps").filter((n) => !blocked(n))];
}
