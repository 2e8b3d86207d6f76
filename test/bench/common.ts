// What the bench scripts share: smoke mode, and what a measured process uses, read from /proc.
//
// Smoke mode (BENCH_SMOKE=1, as test/bench/smoke.test.ts runs every script in `npm test`): one
// short round of everything, so that a broken bench fails CI; no image builds or QEMU boots of
// its own (a part that needs one says it skipped it). Its figures mean nothing.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export const smoke = process.env.BENCH_SMOKE === "1";

/** `full` in a real run, `short` in smoke mode. */
export const scaled = (full: number, short: number): number => (smoke ? short : full);

export const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

export interface Usage {
  /** The largest resident set so far (VmHWM). */
  maxRssKiB: number;
  /** User and system CPU time so far. */
  cpuMs: number;
  /** Context switches so far, voluntary or not: how often it woke up. */
  wakeups: number;
}

/**
 * What process `pid` (`label` in the message) has used so far; throws saying so when it is gone
 * (or a zombie not yet reaped), rather than failing on what /proc no longer holds.
 */
export function usage(pid: number, label: string): Usage {
  let stat: string;
  let status: string;
  const gone = (): Error => new Error(`${label} (pid ${pid}) is gone: it exited before it could be measured`);
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ESRCH") throw gone();
    throw e;
  }
  // state, then utime and stime as fields 14 and 15 of stat, counted after the command's ")"
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") throw gone();
  const field = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status);
    if (!m) throw new Error(`${label} (pid ${pid}): /proc/${pid}/status has no ${key}`);
    return Number(m[1]);
  };
  return {
    maxRssKiB: field("VmHWM"),
    cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond,
    wakeups: field("voluntary_ctxt_switches") + field("nonvoluntary_ctxt_switches"),
  };
}

/** "1 change", "10 changes". */
export const count = (n: number, noun: string, nouns = `${noun}s`): string => `${n} ${n === 1 ? noun : nouns}`;

/** Prints rows under a header, each column as wide as its widest cell. */
export function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
}
