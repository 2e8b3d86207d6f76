// `npm run bench` (controllers): the uevent-rule and ifwait controllers of the native runtime, in a
// network namespace of their own: their memory after a burst of 20 interfaces coming and going
// (each one starting and stopping a controlled service through svc), and the CPU time they use
// while nothing happens (they must sleep in poll: no timers, no polling).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../../runtime/build/main.ts";
import { Netns } from "../lib/netns.ts";
import { settle } from "../lib/until.ts";

const rssLimitKiB = 1536;
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 10);

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function maxRssKiB(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}

/** The controller itself: `ip netns exec` execs it, so the pid is the same. */
function controller(ns: Netns, binary: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn("ip", ["netns", "exec", ns.name, binary, ...args], { env, stdio: "ignore" });
}

async function main(): Promise<void> {
  const [built] = await build(["x86_64"]);
  const root = mkdtempSync(join(tmpdir(), "limen-bench-ctl-"));
  const ns = new Netns();
  const children: ChildProcess[] = [];
  try {
    // a controlled oneshot for each controller: svc runs its scripts without s6
    const bin = join(root, "bin");
    mkdirSync(bin);
    for (const name of ["limen", "svc", "output"]) symlinkSync(built.path, join(bin, name));
    const services: Record<string, unknown> = {};
    for (const name of ["a", "b"]) {
      services[name] = {
        type: "oneshot",
        dependencies: [],
        controlled: true,
        timeoutUp: 10000,
        timeoutDown: 10000,
        notificationFd: null,
        outputs: [],
        outputRefs: [],
      };
      mkdirSync(join(root, "etc/limen/oneshot", name), { recursive: true });
      writeFileSync(join(root, "etc/limen/oneshot", name, "up"), "#!/bin/sh\ntrue\n", { mode: 0o755 });
    }
    writeFileSync(join(root, "etc/limen/services.json"), JSON.stringify({ version: 1, services }));
    const env = { ...process.env, LIMEN_ROOT: root, PATH: `${bin}:${process.env.PATH}` };
    const rule = controller(ns, built.path, ["uevent-rule", "a", "subsystem=net", "interface=lmb0"], env);
    const wait = controller(ns, built.path, ["ifwait", "--state", "up", "lmb0", "b"], env);
    children.push(rule, wait);
    await settle(1000);
    for (let i = 0; i < 20; i++) {
      ns.ip("link", "add", "lmb0", "type", "veth", "peer", "name", "lmb1");
      ns.ip("link", "set", "lmb0", "up");
      await settle(150);
      ns.ip("link", "del", "lmb0");
      await settle(150);
    }
    await settle(1000);
    const before = [rule, wait].map((c) => cpuTicks(c.pid!));
    await settle(idleSeconds * 1000);
    const after = [rule, wait].map((c) => cpuTicks(c.pid!));
    const hz = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
    console.log(
      `\ncontrollers (x86_64, native): max RSS after 20 devices came and went, CPU over ${idleSeconds} s idle\n`,
    );
    console.log(["controller".padEnd(12), "max RSS".padEnd(10), "idle CPU".padEnd(10), "targets"].join("  "));
    [rule, wait].forEach((c, i) => {
      const rss = maxRssKiB(c.pid!);
      const idleMs = ((after[i] - before[i]) * 1000) / hz;
      const checks = [
        `rss<=${rssLimitKiB} KiB ${rss <= rssLimitKiB ? "ok" : "MISSED"}`,
        `idle CPU 0 ms ${idleMs === 0 ? "ok" : "MISSED"}`,
      ];
      console.log(
        [
          (i === 0 ? "uevent-rule" : "ifwait").padEnd(12),
          `${rss} KiB`.padEnd(10),
          `${idleMs} ms`.padEnd(10),
          checks.join(", "),
        ].join("  "),
      );
    });
  } finally {
    for (const c of children) c.kill();
    ns.delete();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
