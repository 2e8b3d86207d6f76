// `limen health-check SERVICE INTERVAL THRESHOLD TIMEOUT COMMAND`: a controller (the
// health-check template's longrun). Starts the longrun SERVICE with what it needs and what needs
// it (as `svc up-tree`), waits until it is up (and ready, when it notifies readiness), then every
// INTERVAL ms runs COMMAND with sh -c, allowed TIMEOUT ms. When more than THRESHOLD checks in a row fail (non-zero
// exit, or out of
// time), it restarts SERVICE through s6 (s6-svc -r: what depends on it stays up, as when s6
// restarts a process that died), waits for it to be up again and counts afresh. While someone
// keeps SERVICE down (`svc stop`), it waits instead of fighting them. Idle between checks.
import * as os from "qjs:os";
import { O_NONBLOCK } from "limen:native";
import { environ, spawnAsync } from "../lib/process";
import type { Graph } from "../svc/graph";
import { readStatus, serviceDir } from "../svc/s6";
import { upTree } from "../svc/state";
import {
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

const usage = "health-check SERVICE INTERVAL-MS THRESHOLD TIMEOUT-MS COMMAND";
const log = logger("health-check");

/** Runs the check in its own session, killed whole when out of time; true when it exited 0. */
async function check(command: string, timeout: number): Promise<boolean> {
  const stdin = os.open("/dev/null", os.O_RDONLY | O_NONBLOCK);
  let child: ReturnType<typeof spawnAsync>;
  try {
    child = spawnAsync(["/bin/sh", "-c", command], { fds: [stdin, 1, 2], newSession: true }, environ());
  } finally {
    os.close(stdin);
  }
  let late = false;
  const timer = os.setTimeout(() => {
    late = true;
    os.kill(-child.pid, 9);
  }, timeout);
  const code = await child.exited;
  os.clearTimeout(timer);
  if (late) log(`check did not finish within ${timeout} ms`);
  else if (code !== 0) log(`check exited ${code}`);
  return !late && code === 0;
}

/** Until SERVICE is wanted up and running; returns its pid. */
async function upAgain(graph: Graph, service: string): Promise<number> {
  const s = await statusWhen(service, (st) => st !== null && st.wantUp && running(graph, service, st));
  return s!.pid;
}

async function control(
  service: string,
  interval: number,
  threshold: number,
  timeout: number,
  command: string,
): Promise<never> {
  const graph = graphWith([service], ["longrun"]);
  for (
    let code = await transition(graph, "up", [service]);
    code !== 0;
    code = await transition(graph, "up", [service])
  ) {
    log(`${service} did not come up (svc exit ${code}); trying again in ${interval} ms`);
    await sleep(interval);
  }
  // what needs the service is controlled along with it: bring that up too, as `svc up-tree` does
  const rest = await transition(graph, "up", upTree(graph, service));
  if (rest !== 0) log(`what needs ${service} did not all come up (svc exit ${rest})`);
  let pid = await upAgain(graph, service);
  log(
    `${service} is up (pid ${pid}): checking every ${interval} ms, restarting after more than ${threshold} failures in a row`,
  );
  let failures = 0;
  for (;;) {
    await sleep(interval);
    const now = readStatus(service);
    if (now === null || !now.wantUp || !running(graph, service, now) || now.pid !== pid) {
      // stopped by hand, or restarted by s6 meanwhile: check the process that runs now, from zero
      pid = await upAgain(graph, service);
      failures = 0;
      continue;
    }
    if (await check(command, timeout)) {
      failures = 0;
      continue;
    }
    failures++;
    if (failures <= threshold) continue;
    log(`${service}: ${failures} failed checks in a row: restarting it`);
    const r = spawnAsync(["s6-svc", "-r", serviceDir(service)]);
    const code = await r.exited;
    if (code !== 0) log(`s6-svc -r ${service} exited ${code}`);
    const old = pid;
    pid = (await statusWhen(
      service,
      (st) => st !== null && st.pid !== old && st.wantUp && running(graph, service, st),
    ))!.pid;
    failures = 0;
  }
}

export function main(args: string[]): Promise<number> {
  return runController("health-check", usage, () => {
    const [service, interval, threshold, timeout, command, ...extra] = args;
    if (service === undefined || command === undefined || extra.length > 0)
      throw new UsageError(`expected 5 arguments, got ${args.length}`);
    const limit = Number(threshold);
    if (!Number.isInteger(limit) || limit < 0)
      throw new UsageError(`THRESHOLD must be a whole number >= 0, got ${JSON.stringify(threshold)}`);
    const every = millisArg(interval, "INTERVAL");
    if (every === 0) throw new UsageError("INTERVAL must be more than 0 ms");
    return control(service, every, limit, millisArg(timeout, "TIMEOUT"), command);
  });
}
