// `npm run bench` (controllers): the uevent-rule and ifwait controllers of the native runtime, in a
// network namespace of their own: their memory after a burst of 20 interfaces coming and going
// (each one starting and stopping a controlled service through svc), and the CPU time they use
// while nothing happens (they must sleep in poll: no timers, no polling).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../../runtime/build/main.ts";
import { layout } from "../../runtime/src/layout.ts";
import { Netns } from "../lib/netns.ts";
import { count, scaled, smoke, table, usage, type Usage } from "./common.ts";
import { settle } from "../lib/until.ts";
import { databaseVersion } from "../../runtime/src/svc/database.ts";
import { serviceEntry } from "../engine/service-entry.ts";

const rssLimitKiB = 1536;
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? scaled(10, 1));
const devices = scaled(20, 1);

/** A controller under measure: `ip netns exec` execs it, so the pid is the same. */
class Controller {
  private readonly child: ChildProcess;
  private said = "";

  constructor(
    readonly name: string,
    ns: Netns,
    binary: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn("ip", ["netns", "exec", ns.name, binary, name, ...args], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child.stderr!.on("data", (b: Buffer) => (this.said += b.toString()));
  }

  /** What it used so far; throws with its exit status and last words when it has ended. */
  usage(): Usage {
    const { exitCode, signalCode } = this.child;
    if (exitCode !== null || signalCode !== null) {
      throw new Error(
        `${this.name} exited (${exitCode ?? signalCode}) before it could be measured; it said:\n${this.said.trim() || "(nothing)"}`,
      );
    }
    return usage(this.child.pid!, this.name);
  }

  stop(): void {
    this.child.kill();
  }
}

async function main(): Promise<void> {
  const [built] = await build(["x86_64"]);
  const root = mkdtempSync(join(tmpdir(), "limen-bench-ctl-"));
  const ns = new Netns();
  const controllers: Controller[] = [];
  try {
    // a controlled oneshot for each controller: svc runs its scripts without s6
    const bin = join(root, "bin");
    mkdirSync(bin);
    for (const name of ["limen", "svc", "output"]) symlinkSync(built.path, join(bin, name));
    const device = layout(root);
    const services: Record<string, unknown> = {};
    for (const name of ["a", "b"]) {
      services[name] = serviceEntry({ type: "oneshot", controlled: true, timeoutUp: 10000, timeoutDown: 10000 });
      mkdirSync(device.oneshot(name), { recursive: true });
      writeFileSync(join(device.oneshot(name), "up"), "#!/bin/sh\ntrue\n", { mode: 0o755 });
    }
    writeFileSync(device.database, JSON.stringify({ version: databaseVersion, services }));
    const env = { ...process.env, LIMEN_ROOT: root, PATH: `${bin}:${process.env.PATH}` };
    controllers.push(
      new Controller("uevent-rule", ns, built.path, ["a", "subsystem=net", "interface=lmb0"], env),
      new Controller("ifwait", ns, built.path, ["--state", "up", "lmb0", "b"], env),
    );
    await settle(scaled(1000, 300));
    for (let i = 0; i < devices; i++) {
      ns.ip("link", "add", "lmb0", "type", "veth", "peer", "name", "lmb1");
      ns.ip("link", "set", "lmb0", "up");
      await settle(150);
      ns.ip("link", "del", "lmb0");
      await settle(150);
    }
    await settle(scaled(1000, 300));
    const before = controllers.map((c) => c.usage());
    await settle(idleSeconds * 1000);
    const after = controllers.map((c) => c.usage());
    console.log(
      `\ncontrollers (x86_64, native${smoke ? ", smoke mode" : ""}): max RSS after ${count(devices, "device")} came and went, CPU over ${idleSeconds} s idle\n`,
    );
    table(
      ["controller", "max RSS", "idle CPU", "targets"],
      controllers.map((c, i) => {
        const rss = after[i].maxRssKiB;
        const idleMs = after[i].cpuMs - before[i].cpuMs;
        const checks = [
          `rss<=${rssLimitKiB} KiB ${rss <= rssLimitKiB ? "ok" : "MISSED"}`,
          `idle CPU 0 ms ${idleMs === 0 ? "ok" : "MISSED"}`,
        ];
        return [c.name, `${rss} KiB`, `${idleMs} ms`, checks.join(", ")];
      }),
    );
  } finally {
    for (const c of controllers) c.stop();
    ns.delete();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
