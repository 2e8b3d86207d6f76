// Supervised daemons killed at random moments under real s6, each time waiting until it is back and
// svc status tells the truth about it (the process it names is the one running, ready once it said
// so). test/svc/kills.test.ts runs it; `npm run bench` counts the kills survived (hardening.ts).
import { existsSync, readFileSync } from "node:fs";
import { Bed } from "./bed.ts";
import { settle, until } from "../lib/until.ts";

const signals: NodeJS.Signals[] = ["SIGKILL", "SIGTERM", "SIGSEGV", "SIGHUP"];

/** A deterministic PRNG (mulberry32): the same moments on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Status {
  state: string;
  pid: number;
  ready: boolean;
}

/** The program a process runs, or null when there is none (a zombie has no cmdline). */
const program = (pid: number): string | null => {
  const path = `/proc/${pid}/cmdline`;
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  return text === "" ? null : text.split("\0").slice(0, 2).join(" ");
};

/**
 * A bed of longruns named `daemons`, started; each notifies readiness after a moment, so some
 * kills land before it is ready.
 */
export async function daemonBed(daemons: string[]): Promise<Bed> {
  const bed = new Bed(
    Object.fromEntries(
      daemons.map((d) => [
        d,
        { type: "longrun" as const, notificationFd: 3, run: "sleep 0.1; echo >&3; exec sleep 1000" },
      ]),
    ),
  );
  await bed.start();
  const started = bed.svc("start", ...daemons);
  if (started.code !== 0) {
    await bed.stop();
    throw new Error(`svc start ${daemons.join(" ")} failed (${started.code}): ${started.stderr}`);
  }
  return bed;
}

export interface Kills {
  tried: number;
  survived: number;
  /** Why a daemon did not come back, one entry per daemon that failed (its later kills not tried). */
  failures: string[];
}

/**
 * Kills each daemon `killsEach` times with a random signal after a random pause (up to 300 ms), one
 * killer a daemon, all at once (s6 waits a second before restarting a process that died young);
 * after each kill waits up to 10 s until svc status shows it up and ready in a new process that is the daemon.
 */
export async function killAtRandom(bed: Bed, daemons: string[], killsEach: number, seed: number): Promise<Kills> {
  const next = random(seed);
  const status = (d: string): Status => JSON.parse(bed.svc("status", "--json", d).stdout) as Status;
  let tried = 0;
  let survived = 0;
  const results = await Promise.allSettled(
    daemons.map(async (d) => {
      for (let i = 0; i < killsEach; i++) {
        const before = status(d);
        await settle(Math.floor(next() * 300));
        const victim = status(d).pid;
        tried++;
        if (victim > 0) process.kill(victim, signals[Math.floor(next() * signals.length)]);
        await until(
          `${d} back after kill ${i + 1}`,
          () => {
            const s = status(d);
            return s.state === "up" && s.ready && s.pid > 0 && s.pid !== victim && program(s.pid) === "sleep 1000";
          },
          10_000,
          () => JSON.stringify({ before, now: status(d) }),
        );
        survived++;
      }
    }),
  );
  const failures = results.flatMap((r) =>
    r.status === "rejected" ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
  );
  return { tried, survived, failures };
}
