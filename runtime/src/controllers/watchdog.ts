// `limen watchdog DEVICE HEAD-START INTERVAL SERVICE...`: feeds the kernel's watchdog DEVICE
// (/dev/watchdog) every INTERVAL ms (at least twice within the driver's timeout, when sysfs tells it). For the first
// HEAD-START ms it feeds unconditionally (the
// system is still coming up); after that only while every SERVICE is up (a longrun: its process
// runs; others: svc's state). When one stays down, feeding stops and the hardware reboots the
// device once its timeout (the driver's) passes; feeding resumes if everything is up again before
// that. Opening the device starts the watchdog. The process never writes the magic 'V', so its
// end — killed, or stopped with `svc stop` — leaves the timer running: nobody feeds, the device
// reboots. Idle between feeds.
import * as os from "qjs:os";
import * as std from "qjs:std";
import { readBytes } from "../lib/fs";
import { writeAll } from "../lib/process";
import { decode } from "../lib/utf8";
import type { Graph } from "../svc/graph";
import { paths } from "../svc/paths";
import { readStatus } from "../svc/s6";
import { isUp } from "../svc/state";
import { clock, graphWith, logger, millisArg, runController, sleep, UsageError } from "../svc/controller";

const usage = "watchdog DEVICE HEAD-START-MS INTERVAL-MS SERVICE...";
const log = logger("watchdog");

function down(graph: Graph, services: string[]): string[] {
  return services.filter((s) =>
    graph.entry(s).type === "longrun" ? (readStatus(s)?.pid ?? 0) === 0 : !isUp(graph, s),
  );
}

/** The driver's timeout in ms as sysfs tells it, for /dev/watchdog (the first) or /dev/watchdogN; null when unknown. */
function driverTimeout(device: string): number | null {
  const m = /\/watchdog(\d*)$/.exec(device);
  const bytes = m === null ? null : readBytes(`${paths.root}/sys/class/watchdog/watchdog${m[1] || "0"}/timeout`);
  const seconds = bytes === null ? NaN : Number(decode(bytes).trim());
  return Number.isInteger(seconds) && seconds > 0 ? seconds * 1000 : null;
}

async function feed(device: string, headStart: number, every: number, services: string[]): Promise<never> {
  const graph = graphWith(services, ["longrun", "oneshot", "bundle"]);
  const fd = os.open(device, os.O_WRONLY);
  if (fd < 0) throw new Error(`cannot open ${device}: ${std.strerror(-fd)} (is the watchdog driver loaded?)`);
  const start = clock();
  const timeout = driverTimeout(device);
  // fed no more often than its timeout, it would reboot a healthy device
  const interval = timeout !== null && every * 2 > timeout ? Math.floor(timeout / 2) : every;
  if (interval !== every)
    log(
      `an interval of ${every} ms is not well below the watchdog's timeout of ${timeout} ms: feeding every ${interval} ms instead`,
    );
  log(
    `feeding ${device}${timeout === null ? "" : ` (timeout ${timeout} ms)`} every ${interval} ms; watching ${services.join(", ")} after a head start of ${headStart} ms`,
  );
  let missing = "";
  for (;;) {
    const gone = clock() - start < headStart ? [] : down(graph, services);
    const now = gone.join(", ");
    if (now !== missing) log(now === "" ? "every watched service is up: feeding again" : `not feeding: ${now} down`);
    missing = now;
    if (gone.length === 0) writeAll(fd, "1");
    await sleep(interval);
  }
}

export function main(args: string[]): Promise<number> {
  return runController("watchdog", usage, () => {
    const [device, headStart, interval, ...services] = args;
    if (device === undefined || services.length === 0)
      throw new UsageError(`expected a device, two times and at least one service, got ${args.length} arguments`);
    const every = millisArg(interval, "INTERVAL");
    if (every === 0) throw new UsageError("INTERVAL must be more than 0 ms");
    return feed(device, millisArg(headStart, "HEAD-START"), every, services);
  });
}
