// `limen round-robin PROXY MIN-DELAY MAX-DELAY BACKEND...`: a controller (the round-robin
// template's longrun) that keeps exactly one of the longruns BACKEND... up. It starts the first
// (with what it needs); once that runs, it copies the backend's outputs to PROXY's outputs, keeps
// them following, and brings PROXY up with what needs it (`svc up-tree`), so dependents follow
// whichever backend is active. When the backend's process exits, or it does not come up, PROXY
// (and its dependents) and the backend go down and the next backend is started, forever. Between
// two attempts it waits MIN-DELAY ms, doubling up to MAX-DELAY while backends keep failing: a
// dead pair cannot spin the CPU. A backend that ran for MAX-DELAY resets the wait. Up or down is
// read from s6's status, so backends need no outputs. Restarted, it carries on with a backend that
// is up already and stops the others. The proxy's outputs and their folders have the backend's
// modes: over a secrets service (0700 folder, 0600 files) they are root's alone as well.
import * as os from "qjs:os";
import type { Graph } from "../svc/graph";
import { outputFolder, outputMode, readOutputs, secretMode, watchOutputs, writeOutput } from "../svc/outputs";
import { paths } from "../svc/paths";
import { readStatus } from "../svc/s6";
import { isUp, upTree } from "../svc/state";
import {
  clock,
  graphWith,
  logger,
  millisArg,
  runController,
  running,
  sleep,
  statusWhen,
  transition,
  UsageError,
} from "../svc/controller";

const usage = "round-robin PROXY MIN-DELAY-MS MAX-DELAY-MS BACKEND BACKEND...";
const log = logger("round-robin");

/**
 * Makes PROXY's outputs equal to BACKEND's `outputs`, with the modes of BACKEND's files and
 * folders (folders first, so no secret is ever under a readable name): each key written
 * atomically, stale ones removed. What is gone meanwhile (the backend stopping) is taken as secret.
 */
function mirror(backend: string, proxy: string, outputs: Record<string, string>): void {
  // the folders holding the keys ("" is PROXY's own), sorted: a folder before the folders in it
  const folders = new Set(
    Object.keys(outputs).flatMap((key) => key.split("/").map((_, i, parts) => parts.slice(0, i).join("/"))),
  );
  for (const f of [...folders].sort()) outputFolder(proxy, f, outputMode(backend, f) ?? 0o700);
  for (const [key, value] of Object.entries(outputs))
    writeOutput(proxy, key, value, outputMode(backend, key) ?? secretMode);
  for (const key of Object.keys(readOutputs(proxy)))
    if (!Object.hasOwn(outputs, key)) os.remove(`${paths.outputsOf(proxy)}/${key}`);
}

/** Runs `backend` as the active one until its process exits; everything it brought up is down after. */
async function serve(graph: Graph, proxy: string, backend: string): Promise<void> {
  const code = await transition(graph, "up", [backend]);
  const s = readStatus(backend);
  if (code !== 0 || !running(graph, backend, s)) {
    log(code !== 0 ? `${backend} did not come up (svc exit ${code})` : `${backend} exited as it started`);
    await transition(graph, "down", [backend]);
    return;
  }
  const pid = s!.pid;
  const follow = watchOutputs(backend, (outputs) => mirror(backend, proxy, outputs));
  try {
    const up = await transition(graph, "up", upTree(graph, proxy));
    log(
      `${backend} is the active backend (pid ${pid})${up === 0 ? "" : `; ${proxy} or what needs it did not all come up (svc exit ${up})`}`,
    );
    await statusWhen(backend, (st) => st === null || st.pid !== pid || !st.wantUp);
    log(`${backend} exited`);
  } finally {
    follow.close();
  }
  await transition(graph, "down", [proxy]);
  await transition(graph, "down", [backend]);
}

async function control(proxy: string, minDelay: number, maxDelay: number, backends: string[]): Promise<never> {
  const graph = graphWith(backends, ["longrun"]);
  graphWith([proxy], ["oneshot", "longrun", "bundle"]);
  // a backend that is up already (this controller was restarted) stays the active one
  const first = Math.max(
    0,
    backends.findIndex((b) => isUp(graph, b)),
  );
  const others = backends.filter((b, i) => i !== first && isUp(graph, b));
  if (others.length > 0) await transition(graph, "down", others);
  let delay = minDelay;
  for (let i = first; ; i = (i + 1) % backends.length) {
    const began = clock();
    await serve(graph, proxy, backends[i]);
    if (clock() - began >= maxDelay) delay = minDelay;
    const next = backends[(i + 1) % backends.length];
    log(`starting ${next} in ${delay} ms`);
    await sleep(delay);
    delay = Math.min(delay * 2, maxDelay);
  }
}

export function main(args: string[]): Promise<number> {
  return runController("round-robin", usage, () => {
    const [proxy, min, max, ...backends] = args;
    if (proxy === undefined || backends.length < 2)
      throw new UsageError(`expected a proxy, two delays and at least two backends, got ${args.length} arguments`);
    if (new Set(backends).size !== backends.length || backends.includes(proxy))
      throw new UsageError("backends must be distinct services, none of them the proxy");
    const minDelay = millisArg(min, "MIN-DELAY");
    const maxDelay = millisArg(max, "MAX-DELAY");
    if (minDelay === 0 || maxDelay < minDelay)
      throw new UsageError(`delays must satisfy 0 < MIN-DELAY <= MAX-DELAY, got ${minDelay} and ${maxDelay}`);
    return control(proxy, minDelay, maxDelay, backends);
  });
}
