// `npm run bench` (controllers over s6): health-check, round-robin and watchdog natively on this
// machine under real s6: their memory once settled, and what they cost while idle — CPU time and
// wake-ups (context switches) over an idle period, against the wake-ups their own interval asks for.
import { Bed } from "../svc/bed.ts";
import { scaled, smoke, table, usage } from "./common.ts";
import { settle } from "../lib/until.ts";

const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? scaled(20, 1));
/** Issue 6: each controller's resident set at most 1.5 MB natively; no CPU between events. */
const rssLimitKiB = 1536;

/** A controller under s6 with what it controls; `expected` wake-ups it needs over the idle period. */
const cases: { name: string; controller: string; expected: number; services: ConstructorParameters<typeof Bed>[0] }[] =
  [
    {
      name: "health-check",
      controller: "web.health",
      // one check every 10 s, each: the timer, the status read, starting the check and its end
      expected: Math.ceil(idleSeconds / 10) * 6,
      services: {
        web: { type: "longrun", controlled: true, run: "exec sleep 100000" },
        "web.health": { type: "longrun", run: "exec limen health-check web 10000 3 5000 true" },
      },
    },
    {
      name: "round-robin",
      controller: "wan.controller",
      // an active backend that keeps running: nothing to do
      expected: 0,
      services: {
        a: { type: "longrun", controlled: true, run: "output --set a gateway 192.0.2.1; exec sleep 100000" },
        b: { type: "longrun", controlled: true, run: "exec sleep 100000" },
        wan: { type: "oneshot", controlled: true, dependencies: ["wan.controller"], up: "true" },
        "wan.controller": { type: "longrun", run: "exec limen round-robin wan 1000 60000 a b" },
      },
    },
    {
      name: "watchdog",
      controller: "watchdog",
      // one feed every 10 s (the device here is /dev/null: this measures the feeder, not a driver)
      expected: Math.ceil(idleSeconds / 10) * 2,
      services: {
        web: { type: "longrun", run: "exec sleep 100000" },
        watchdog: { type: "longrun", run: "exec limen watchdog /dev/null 0 10000 web" },
      },
    },
  ];

async function main(): Promise<void> {
  console.log(
    `\ncontrollers (x86_64, native, real s6${smoke ? ", smoke mode" : ""}): resident set once settled; CPU and wake-ups over ${idleSeconds} s idle\n`,
  );
  const rows: string[][] = [];
  for (const c of cases) {
    const bed = new Bed(c.services);
    try {
      await bed.start();
      if (bed.svc("boot").code !== 0) throw new Error(`${c.name}: svc boot failed`);
      await settle(scaled(2000, 500));
      const { pid } = JSON.parse(bed.svc("status", "--json", c.controller).stdout) as { pid: number };
      const before = usage(pid, c.name);
      await settle(idleSeconds * 1000);
      const after = usage(pid, c.name);
      const rss = after.maxRssKiB;
      const wakeups = after.wakeups - before.wakeups;
      const cpu = after.cpuMs - before.cpuMs;
      const checks = [
        `rss<=${rssLimitKiB} KiB ${rss <= rssLimitKiB ? "ok" : "MISSED"}`,
        `idle wake-ups<=${c.expected} ${wakeups <= c.expected ? "ok" : "MISSED"}`,
      ];
      rows.push([c.name, `${rss} KiB`, `${cpu.toFixed(0)} ms`, String(wakeups), checks.join(", ")]);
    } finally {
      await bed.stop();
    }
  }
  table(["controller", "max RSS", "idle CPU", "wake-ups", "targets"], rows);
}

await main();
