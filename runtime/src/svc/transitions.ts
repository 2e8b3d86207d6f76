// Bringing services up and down: each transition waits only for the ones it depends on, so
// independent services change in parallel. A transition that fails skips everything that
// needed it. Exit status as s6-rc: 0 all done, 1 something failed, 2 something timed out.
// Boot differs on purpose: a longrun not ready in time stays supervised and what needs it waits
// for it (boot below), so one slow server does not keep the rest down until the next reboot.
import * as os from "qjs:os";
import * as std from "qjs:std";
import { lockFile, O_NONBLOCK } from "limen:native";
import { exists, mkdirs, writeAtomic } from "../lib/fs";
import { clock, environ, spawnAsync, writeAll } from "../lib/process";
import type { Graph } from "./graph";
import { loadKernelModules } from "./modprobe";
import { removeOutputs } from "./outputs";
import { paths } from "./paths";
import { serviceDir } from "./s6";
import { isUp, ownState } from "./state";

/** pending: a longrun boot left starting; waiting: what needs one, left down until it is ready. */
type Outcome = "done" | "failed" | "timeout" | "skipped" | "pending" | "waiting";
type Direction = "up" | "down";

/** s6-svc -w exits 99 when its -T deadline passes. */
const s6Timeout = 99;

function say(message: string): void {
  std.err.puts(`svc: ${message}\n`);
}

/** What svc last said of each service, for the record of why it did not come up. */
const told = new Map<string, string>();

function sayOf(name: string, reason: string): void {
  told.set(name, reason);
  say(`${name}: ${reason}`);
}

/** Keeps why `name` did not come up for `svc status`, or forgets it once it did. */
function recordUp(name: string, outcome: Outcome): void {
  if (outcome === "done") os.remove(paths.failedOf(name));
  else if (outcome === "failed" || outcome === "timeout" || outcome === "skipped") {
    mkdirs(paths.failed);
    writeAtomic(paths.failedOf(name), `${told.get(name) ?? outcome}\n`);
  }
}

/** Set in a oneshot's environment: svc holds its lock while the script runs, for that service. */
export const heldFor = "LIMEN_SVC_LOCK_HELD_FOR";

/**
 * Waits for svc's lock, which every transition is taken under (svc, the controllers, shutdown),
 * and returns its fd: closing it, or the process ending, releases it. Whoever comes first makes
 * the state folders (at boot, init makes the first; a test's or bench's root may have neither).
 */
export function lockTransitions(): number {
  mkdirs(paths.oneshotsUp);
  return lockFile(paths.lock);
}

/** lockTransitions, giving up after `ms`: the lock's fd, or null when another still holds it. */
export async function lockTransitionsWithin(ms: number): Promise<number | null> {
  mkdirs(paths.oneshotsUp);
  for (let waited = 0; ; waited += 100) {
    const fd = lockFile(paths.lock, false);
    if (fd >= 0) return fd;
    if (waited >= ms) return null;
    await os.sleepAsync(100);
  }
}

async function run(argv: string[]): Promise<number> {
  return spawnAsync(argv).exited;
}

/** s6-svc's wait options: -wU up and ready, -wu up, -wD down with its finish script done; -T when bounded. */
function s6svc(command: "-u" | "-d", wait: "-wU" | "-wu" | "-wD", timeout: number, name: string): string[] {
  return ["s6-svc", wait, ...(timeout > 0 ? ["-T", String(timeout)] : []), command, serviceDir(name)];
}

/**
 * How long a boot pass waits for a longrun to be ready while holding the lock: any longer, and a
 * controller or an admin's `svc` would wait on it until the slowest service at boot is ready.
 */
const bootMoment = 1000;

/** When boot first started each longrun (milliseconds on `clock`), for its timeoutUp. */
const bootStarts = new Map<string, number>();

/** How long a longrun may take to get its s6-supervise (at boot, s6-svscan starts them all at once). */
const superviseWait = 5000;

async function supervised(name: string): Promise<boolean> {
  const control = `${serviceDir(name)}/supervise/control`;
  for (let waited = 0; !exists(control); waited += 20) {
    if (waited >= superviseWait) return false;
    await os.sleepAsync(20);
  }
  return true;
}

async function longrun(graph: Graph, name: string, direction: Direction, patient: boolean): Promise<Outcome> {
  const e = graph.entry(name);
  if (!(await supervised(name))) {
    sayOf(name, `not supervised (no ${serviceDir(name)}/supervise/control; was \`svc init\` run before s6-svscan?)`);
    return "failed";
  }
  if (direction === "down") {
    const code = await run(s6svc("-d", "-wD", e.timeoutDown, name));
    if (code === s6Timeout) sayOf(name, `not down after ${e.timeoutDown} ms`);
    else if (code !== 0) sayOf(name, `s6-svc exited ${code}`);
    return code === 0 ? "done" : code === s6Timeout ? "timeout" : "failed";
  }
  if (patient) return bootLongrun(graph, name);
  const code = await run(s6svc("-u", e.notificationFd === null ? "-wu" : "-wU", e.timeoutUp, name));
  if (code === 0) return "done";
  if (code !== s6Timeout) {
    sayOf(name, `s6-svc exited ${code}`);
    return "failed";
  }
  sayOf(name, `not ${e.notificationFd === null ? "up" : "ready"} after ${e.timeoutUp} ms: stopping it`);
  await run(s6svc("-d", "-wD", e.timeoutDown, name));
  return "timeout";
}

/**
 * Boot's start of a longrun: waits a moment under the lock, then leaves it starting (see boot).
 * It polls the state rather than give s6-svc so short a deadline: s6-svc's covers setting up its
 * event subscription too, which a busy system can take longer than a moment to do.
 */
async function bootLongrun(graph: Graph, name: string): Promise<Outcome> {
  if (!bootStarts.has(name)) bootStarts.set(name, clock());
  const code = await run(["s6-svc", "-u", serviceDir(name)]);
  if (code !== 0) {
    sayOf(name, `s6-svc exited ${code}`);
    return "failed";
  }
  for (let waited = 0; waited < bootMoment; waited += 50) {
    if (ownState(graph, name).ready) return "done";
    await os.sleepAsync(50);
  }
  return "pending";
}

/** Whether the catch-all logger reads its FIFO (opening for writing without one fails with ENXIO). */
function loggerRuns(): boolean {
  const probe = os.open(paths.logFifo, os.O_WRONLY | O_NONBLOCK);
  if (probe < 0) return false;
  os.close(probe);
  return true;
}

/**
 * Where a oneshot's output (or svc's word on a service) goes: through an s6-log adding its name to the catch-all
 * logger when that runs, else to our stderr (writing into a FIFO nobody reads would block once it is full).
 */
function serviceOutput(name: string): { fd: number; logger: Promise<number> | null; close(): void } {
  const fifo = loggerRuns() ? os.open(paths.logFifo, os.O_RDWR) : -1;
  const pipe = fifo >= 0 ? os.pipe() : null;
  if (fifo < 0 || pipe === null) {
    if (fifo >= 0) os.close(fifo);
    return { fd: 2, logger: null, close() {} };
  }
  const [r, w] = pipe;
  const logger = spawnAsync(["s6-log", "--", `p${name}`, "1"], { fds: [r, fifo, fifo] }).exited;
  os.close(r);
  os.close(fifo);
  return { fd: w, logger, close: () => os.close(w) };
}

/** How long a timed-out oneshot's processes have between SIGTERM and SIGKILL. */
const graceMs = 3000;

/** Ends process group `pgid`: SIGTERM, then SIGKILL for what is left after graceMs. */
async function endGroup(pgid: number): Promise<void> {
  os.kill(-pgid, os.SIGTERM);
  for (let waited = 0; waited < graceMs; waited += 100) {
    // kill answers -ESRCH once no process of the group is left
    if (os.kill(-pgid, 0) !== 0) return;
    await os.sleepAsync(100);
  }
  os.kill(-pgid, 9 /* SIGKILL */);
}

/** Runs a oneshot's up or down script with SERVICE set; a missing down script is nothing to do. */
async function oneshotScript(graph: Graph, name: string, direction: Direction): Promise<Outcome> {
  const script = `${paths.oneshot(name)}/${direction}`;
  if (!exists(script)) {
    if (direction === "down") return "done";
    sayOf(name, `${script} is missing`);
    return "failed";
  }
  const timeout = direction === "up" ? graph.entry(name).timeoutUp : graph.entry(name).timeoutDown;
  const out = serviceOutput(name);
  const stdin = os.open("/dev/null", os.O_RDONLY);
  let child: ReturnType<typeof spawnAsync>;
  try {
    // a session (and process group) of its own: a timeout ends what the script started too
    const env = environ({ SERVICE: name, [heldFor]: name });
    child = spawnAsync([script], { fds: [stdin, out.fd, out.fd], newSession: true }, env);
  } finally {
    os.close(stdin);
    out.close();
  }
  // set by the timer (a cast keeps TypeScript from narrowing it to null)
  let ended = null as Promise<void> | null;
  const timer =
    timeout > 0
      ? os.setTimeout(() => {
          ended = endGroup(child.pid);
        }, timeout)
      : null;
  const code = await child.exited;
  if (timer !== null) os.clearTimeout(timer);
  if (ended !== null) await ended;
  if (out.logger) await out.logger;
  if (ended !== null) {
    sayOf(name, `${direction} script did not finish within ${timeout} ms`);
    return "timeout";
  }
  if (code !== 0) {
    sayOf(name, `${direction} script exited ${code}`);
    return "failed";
  }
  return "done";
}

async function oneshot(graph: Graph, name: string, direction: Direction): Promise<Outcome> {
  const outcome = await oneshotScript(graph, name, direction);
  if (outcome === "done" && direction === "up") writeAtomic(paths.oneshotUp(name), "");
  if (outcome === "done" && direction === "down") os.remove(paths.oneshotUp(name));
  return outcome;
}

/** Says why a service cannot start in its own log (svc log NAME) and on our stderr. */
async function refuse(name: string, reason: string): Promise<void> {
  sayOf(name, reason);
  const out = serviceOutput(name);
  if (out.logger === null) return;
  try {
    writeAll(out.fd, `svc: ${reason}\n`);
  } finally {
    out.close();
  }
  await out.logger;
}

async function transition(graph: Graph, name: string, direction: Direction, patient: boolean): Promise<Outcome> {
  const type = graph.entry(name).type;
  if (direction === "up" && type !== "bundle") {
    // the modules the service needs come first: without them it stays down, saying which one failed
    const problem = loadKernelModules(graph.entry(name).kernelModules);
    if (problem !== null) {
      await refuse(name, problem);
      return "failed";
    }
  }
  const outcome =
    type === "longrun"
      ? await longrun(graph, name, direction, patient)
      : type === "oneshot"
        ? await oneshot(graph, name, direction)
        : "done";
  if (direction === "down" && outcome === "done") removeOutputs(name);
  return outcome;
}

/**
 * Brings `targets` up (with what they need) or down (with what needs them), each service at most
 * once, in parallel where the graph allows: each service's outcome. `patient` (boot): a longrun
 * not ready in time is left starting ("pending"), also when found started but not yet ready.
 */
async function transitions(
  graph: Graph,
  direction: Direction,
  targets: string[],
  patient: boolean,
): Promise<Map<string, Outcome>> {
  const runs = new Map<string, Promise<Outcome>>();
  const before = (name: string): string[] => (direction === "up" ? graph.deps(name) : graph.rdeps(name));
  const visit = (name: string): Promise<Outcome> => {
    let p = runs.get(name);
    if (p === undefined) {
      p = (async (): Promise<Outcome> => {
        const first = before(name);
        const outcomes = await Promise.all(first.map(visit));
        const blocker = first.find((_, i) => outcomes[i] !== "done");
        const blocked = blocker === undefined ? undefined : outcomes[first.indexOf(blocker)];
        if (blocked === "pending" || blocked === "waiting") return "waiting";
        if (blocker !== undefined) {
          sayOf(name, `skipped, ${blocker} did not come ${direction}`);
          return "skipped";
        }
        if (isUp(graph, name) === (direction === "up") && !(patient && ownState(graph, name).ready === false)) {
          if (direction === "down") removeOutputs(name);
          return "done";
        }
        return transition(graph, name, direction, patient);
      })();
      runs.set(name, p);
    }
    return p;
  };
  await Promise.all(targets.map(visit));
  const outcomes = new Map<string, Outcome>();
  for (const [name, p] of runs) outcomes.set(name, await p);
  if (direction === "up") outcomes.forEach((o, name) => recordUp(name, o));
  return outcomes;
}

/** s6-rc's exit status for these outcomes: 2 when one timed out, 1 when one did not come through. */
function status(outcomes: Outcome[]): number {
  return outcomes.includes("timeout") ? 2 : outcomes.some((o) => o !== "done") ? 1 : 0;
}

/**
 * Brings `targets` up (with what they need) or down (with what needs them), each service at most
 * once, in parallel where the graph allows. Returns the exit status.
 */
export async function change(graph: Graph, direction: Direction, targets: string[]): Promise<number> {
  return status([...(await transitions(graph, direction, targets, false)).values()]);
}

/**
 * `svc boot`: brings `targets` up, taking the lock for each pass. A pass waits for a longrun's
 * readiness a moment only (bootMoment), then leaves it starting and releases the lock, so that
 * controllers and an admin's `svc` are not held up by a slow service; past its timeoutUp boot says
 * so, and it stays supervised. As soon as one is ready another pass starts what waited for it, until
 * nothing waits. A pending service someone stops meanwhile (`svc stop`) is given up, with what
 * needs it; once shutdown began, boot starts nothing more. The exit status counts a pending
 * service as timed out only if it was given up.
 */
export async function boot(graph: Graph, targets: string[]): Promise<number> {
  const settled = new Set<string>();
  /** Pending services whose timeoutUp boot has said has passed. */
  const told = new Set<string>();
  let worst = 0;
  for (;;) {
    const lock = lockTransitions();
    // the system is going down: boot starts nothing more
    if (exists(paths.shutdownAction)) {
      os.close(lock);
      return worst;
    }
    const open = targets.filter((t) => ![t, ...graph.closure(t, "deps")].some((n) => settled.has(n)));
    const outcomes = await transitions(graph, "up", open, true);
    const pending = [...outcomes].filter(([, o]) => o === "pending").map(([n]) => n);
    const waiting = [...outcomes].filter(([, o]) => o === "waiting").map(([n]) => n);
    for (const [name, o] of outcomes) if (o === "failed" || o === "skipped" || o === "timeout") settled.add(name);
    worst = Math.max(worst, status([...outcomes.values()].filter((o) => o !== "pending" && o !== "waiting")));
    if (waiting.length === 0 && pending.length === 0) os.remove(paths.bootWaiting);
    else {
      const on = (n: string) => graph.closure(n, "deps").filter((d) => pending.includes(d));
      writeAtomic(paths.bootWaiting, JSON.stringify(Object.fromEntries(waiting.map((n) => [n, on(n)]))));
    }
    os.close(lock);
    if (pending.length === 0) return worst;
    for (;;) {
      await os.sleepAsync(250);
      for (const n of pending) {
        const { timeoutUp } = graph.entry(n);
        if (told.has(n) || timeoutUp === 0 || clock() - (bootStarts.get(n) ?? clock()) < timeoutUp) continue;
        sayOf(n, `not ready after ${timeoutUp} ms: left starting, what needs it waits until it is ready`);
        told.add(n);
      }
      const given = pending.filter((n) => !isUp(graph, n));
      for (const n of given) {
        sayOf(n, "stopped while boot waited for it: what needs it stays down");
        recordUp(n, "failed");
        settled.add(n);
        worst = 2;
      }
      if (given.length > 0 || pending.some((n) => ownState(graph, n).ready)) break;
    }
  }
}
