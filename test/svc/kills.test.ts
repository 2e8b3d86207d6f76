// Supervised daemons killed at random moments under real s6: each time one comes back, and svc
// status tells the truth about it (the process it names is the one running, ready once it said so).
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed } from "./bed.ts";
import { settle, until } from "../lib/until.ts";

const daemons = ["d1", "d2", "d3", "d4"];
const killsEach = 25;
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

let bed: Bed;
beforeAll(async () => {
  // each notifies readiness after a moment, so some kills land before it is ready
  bed = new Bed(
    Object.fromEntries(
      daemons.map((d) => [
        d,
        { type: "longrun" as const, notificationFd: 3, run: "sleep 0.1; echo >&3; exec sleep 1000" },
      ]),
    ),
  );
  await bed.start();
  expect(bed.svc("start", ...daemons).code).toBe(0);
});
afterAll(async () => {
  await bed.stop();
});

const status = (d: string): Status => JSON.parse(bed.svc("status", "--json", d).stdout) as Status;
/** The program a process runs, or null when there is none (a zombie has no cmdline). */
const program = (pid: number): string | null => {
  const path = `/proc/${pid}/cmdline`;
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  return text === "" ? null : text.split("\0").slice(0, 2).join(" ");
};

describe("daemons killed at random moments", { timeout: 300_000 }, () => {
  it(`come back every time, ${daemons.length * killsEach} kills, and svc status names the running process`, async () => {
    const next = random(20261203);
    let survived = 0;
    // one killer a daemon, all at once: s6 waits a second before restarting a process that died young
    await Promise.all(
      daemons.map(async (d) => {
        for (let i = 0; i < killsEach; i++) {
          const before = status(d);
          await settle(Math.floor(next() * 300));
          const victim = status(d).pid;
          if (victim > 0) process.kill(victim, signals[Math.floor(next() * signals.length)]);
          // back: up, ready, a new process that is the daemon, as svc status says
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
    expect(survived).toBe(daemons.length * killsEach);
    expect(bed.svc("list").stdout).toBe(daemons.join("\n") + "\n");
  });
});
