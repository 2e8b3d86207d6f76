// One run of the lab: build the router's image and the ISP's, boot the ISP, the router (with the
// disks of its secrets stores) and a LAN client on private multicast networks on 127.0.0.1, run the
// checks that apply and report.
// Every guest is stopped by its PID at the end, or on an error, unless `keep` asks otherwise.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildImage } from "../build.ts";
import { compile } from "../config/compile.ts";
import { evaluate } from "../config/evaluate.ts";
import { loadConfig, loadDevice } from "../config/load.ts";
import { Vm } from "../qemu/vm.ts";
import { checks, LabContext } from "./checks.ts";
import { lanClient } from "./client.ts";
import { ispHostname, labSecrets } from "./plan.ts";
import type { CheckResult, Report } from "./report.ts";
import { passed } from "./report.ts";
import { labShell, shellQemuArgs } from "./shell.ts";
import { stationPackages } from "./station.ts";
import { storeDisks, storeValues } from "./store.ts";
import { topology } from "./topology.ts";

export const labDevices = ["qemu-aarch64", "qemu-armv7l", "qemu-mipsel"] as const;

export interface LabRequest {
  config: string;
  device: (typeof labDevices)[number];
  /**
   * First of five UDP ports: the WAN segment, the LAN segment, the ISP's unused second NIC (multicast
   * groups); an access point's two links are point-to-point instead, on these and the next two.
   */
  port: number;
  /** The router's console login, where its configuration has one. */
  login: { user: string; password: string };
  /** Folder of the secrets stores' files (--secrets), or null for the lab's own (plan.ts). */
  secrets: string | null;
  keep: boolean;
  /** The checks to run, by name, when not all (a test of one failure mode). */
  only?: string[];
  progress: (step: string) => void;
}

/** How to reach a guest left running (--keep). */
export interface KeptGuest {
  name: string;
  pid: number | undefined;
  console: string;
}

/** The ports of `port`..`port + 4` some socket on this host already has (Linux's /proc/net tables). */
export function portsInUse(port: number): number[] {
  const used = new Set<number>();
  for (const table of ["/proc/net/udp", "/proc/net/udp6", "/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local) used.add(parseInt(local.split(":")[1], 16));
    }
  }
  return [0, 1, 2, 3, 4].map((i) => port + i).filter((p) => used.has(p));
}

const seconds = (since: number) => (Date.now() - since) / 1000;

/** Waits for the lab's shell to answer on the router's virtio console (its getty starts late in boot). */
async function labShellReady(vm: Vm): Promise<void> {
  for (let deadline = Date.now() + 300_000; ;) {
    const from = vm.console.length;
    // the answer, unlike the echoed command line, says 42
    vm.send("echo lab-shell-$((6 * 7))\n");
    try {
      await vm.waitFor(/lab-shell-42/, 3000, from);
      return;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error("the lab's shell on the router's virtio console never answered", { cause: e });
    }
  }
}

export async function runLab(r: LabRequest): Promise<{ report: Report; kept: KeptGuest[] }> {
  const busy = portsInUse(r.port);
  if (busy.length > 0) throw new Error(`--port ${r.port}: port ${busy.join(", ")} on 127.0.0.1 is in use`);
  const [wan, lan, spare] = [0, 1, 2].map((i) => `230.0.0.1:${r.port + i}`);
  // A guest on a multicast group receives its own frames back: an access point bridging two would
  // send them round for ever. Its links to the ISP and to the client are pairs of ports instead.
  const link = (local: number, remote: number) => `udp:${r.port + local}:${r.port + remote}`;
  const work = mkdtempSync(join(tmpdir(), "limen-lab-"));
  const times: Record<string, number> = {};
  const guests: [string, Vm][] = [];
  let kept: KeptGuest[] = [];
  // an interrupted run leaves nothing behind either
  const interrupted = () => {
    void Promise.all(guests.map(([, vm]) => vm.stop())).finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    // what the configuration needs of the lab, before anything is built
    const topo = topology(compile(evaluate(await loadConfig(r.config), await loadDevice(r.device))), r.config);
    const disks = storeDisks(topo.stores, r.secrets, labSecrets, work, r.config);
    // without a console login the lab's build gets a shell only the lab reaches (shell.ts)
    const shellSocket = topo.consoleLogin ? null : join(work, "router-shell");
    // a key of the lab's own for the LAN client, given to the router as run.sh gives a user's
    const sshKey = topo.ssh?.keyUser ? join(work, "lab-key") : null;
    if (sshKey !== null) execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "limen-lab", "-f", sshKey]);
    let t = Date.now();
    const router = await buildImage({
      device: r.device,
      config: r.config,
      imports: shellSocket === null ? [] : [labShell],
      // the Wi-Fi station's tools, in the lab's build alone (station.ts)
      testPackages: topo.wifi.length > 0 ? stationPackages : [],
      out: join(work, "router"),
      progress: r.progress,
    });
    times["router build"] = seconds(t);
    t = Date.now();
    const isp = await buildImage({
      device: "qemu-aarch64",
      config: resolve(import.meta.dirname, "isp.ts"),
      out: join(work, "isp"),
      progress: r.progress,
    });
    times["isp build"] = seconds(t);

    const wap = topo.kind === "wap";
    const ispVm = new Vm(isp.out, ["--access", wap ? link(0, 3) : wan, "--lan", spare]);
    const routerVm = new Vm(
      router.out,
      [
        "--access",
        wap ? link(3, 0) : wan,
        "--lan",
        wap ? link(1, 4) : lan,
        ...disks.flatMap((d) => ["--disk", d]),
        ...(sshKey === null ? [] : ["--authorized-key", `${sshKey}.pub`]),
        ...(shellSocket === null ? [] : ["--", ...shellQemuArgs(shellSocket)]),
      ],
      shellSocket ?? undefined,
    );
    const clientNet = wap ? `udp=127.0.0.1:${r.port + 1},localaddr=127.0.0.1:${r.port + 4}` : `mcast=${lan}`;
    const client = await lanClient(work, clientNet, "52:54:00:6c:61:62", sshKey);
    guests.push(["isp", ispVm], ["router", routerVm], ["client", client]);

    // the ISP first, its services up, as a real line is before the router is plugged in: a
    // router's PPPoE discovery would otherwise back off while the ISP boots, and its boot to
    // wan.up would measure the ISP's
    r.progress("booting the ISP");
    t = Date.now();
    await ispVm.start();
    await ispVm.login(ispHostname, "root", "secret");
    await ispVm.run("dmesg -n 1");
    await ispVm.servicesUp(isp.system.defaultServices);
    times["isp boot"] = seconds(t);
    r.progress("booting the router");
    t = Date.now();
    await routerVm.start();
    if (shellSocket === null) await routerVm.login(router.system.hostname, r.login.user, r.login.password);
    else await labShellReady(routerVm);
    await routerVm.run("dmesg -n 1");
    times["router boot"] = seconds(t);
    r.progress("booting a LAN client");
    t = Date.now();
    await client.start();
    await client.waitFor(/LAB-CLIENT-READY/, 120_000);
    times["client boot"] = seconds(t);

    const ctx = new LabContext(topo, { isp: ispVm, router: routerVm, client });
    ctx.secrets = Object.fromEntries(topo.stores.map((s) => [s.service, storeValues(s.params, r.secrets, labSecrets)]));
    const results: CheckResult[] = [];
    for (const check of checks.filter((c) => r.only?.includes(c.name) ?? true)) {
      const why = check.notApplicable(topo);
      if (why !== null) {
        results.push({ name: check.name, status: "n/a", seconds: 0, detail: why, evidence: [] });
        continue;
      }
      r.progress(`checking ${check.name}`);
      t = Date.now();
      const from = ctx.evidence.length;
      const outcome = await check.run(ctx).catch((e: unknown) => ({ pass: false, detail: (e as Error).message }));
      results.push({
        name: check.name,
        status: outcome.pass ? "pass" : "fail",
        seconds: seconds(t),
        detail: outcome.detail.split("\n")[0],
        evidence: ctx.evidence.slice(from),
      });
    }
    Object.assign(times, ctx.times);
    if (r.keep) {
      kept = guests.map(([name, vm]) => ({ name, pid: vm.pid, console: vm.consolePath }));
      for (const [, vm] of guests) vm.detach();
    }
    return { report: { config: r.config, device: r.device, times, checks: results, passed: passed(results) }, kept };
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    if (kept.length === 0) {
      for (const [, vm] of guests) await vm.stop();
      rmSync(work, { recursive: true, force: true });
    }
  }
}
