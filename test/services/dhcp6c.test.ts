// The dhcp6c module against a real DHCPv6 server: Kea hands out an address and a delegated prefix
// over a veth pair between two network namespaces of the test's own. On the client side the
// compiled system's own files (accounts, dhcpcd's configuration and hook, service scripts) are laid
// over the host's /etc, /usr and /var in a private mount namespace, with a fresh /run, and its
// scripts run there with the host's dhcpcd (Debian's, as on the device) and the real `output`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig } from "../../image/config/index.ts";
import { PackageCollector } from "../../image/packages/collect.ts";
import { ensureCommands } from "../../image/lib/host-programs.ts";
import dhcp6c from "../../services/dhcp6c/index.ts";
import network from "../../services/network/index.ts";
import { testDevice } from "../config/fixtures.ts";
import { Netns } from "../lib/netns.ts";
import { binaryPath } from "../lib/runtime.ts";
import { layout } from "../../runtime/src/layout.ts";

const onDevice = layout("");

const pool = { first: 0x100, last: 0x1ff };
const delegated = "2001:db8:100::/48";
const dnsServers = "2001:db8:0:1::53 2001:db8:0:1::54";
const domains = "example.org lan.example.org";

// One subnet on the server's side, an address pool in it and a pool of exactly one /48 to delegate.
const kea = {
  Dhcp6: {
    // s0 has no carrier until the client's link oneshot brings wan0 up: Kea tries again
    "interfaces-config": {
      interfaces: ["s0"],
      "service-sockets-max-retries": 100,
      "service-sockets-retry-wait-time": 200,
    },
    "lease-database": { type: "memfile", persist: false },
    "server-id": { type: "LL", persist: false },
    "renew-timer": 1000,
    "rebind-timer": 2000,
    "preferred-lifetime": 3000,
    "valid-lifetime": 4000,
    "option-data": [
      { name: "dns-servers", data: dnsServers.replace(" ", ", ") },
      { name: "domain-search", data: domains.replace(" ", ", ") },
    ],
    subnet6: [
      {
        subnet: "2001:db8:0:1::/64",
        interface: "s0",
        pools: [{ pool: `2001:db8:0:1::${pool.first.toString(16)}-2001:db8:0:1::${pool.last.toString(16)}` }],
        "pd-pools": [{ prefix: "2001:db8:100::", "prefix-len": 48, "delegated-len": 48 }],
      },
    ],
    loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stderr" }], severity: "INFO" }],
  },
};

const pidsIn = (ns: Netns): string[] =>
  spawnSync("ip", ["netns", "pids", ns.name], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);

/** Real user ids of the processes in a namespace (those that did not end while we looked). */
function uidsIn(ns: Netns): string[] {
  return pidsIn(ns).flatMap((pid) => {
    try {
      return [/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]];
    } catch {
      return [];
    }
  });
}

function system(): SystemDescription {
  const wan = network.svc.link.build({ ifname: "wan0" });
  const lan = network.svc.link.build({ ifname: "lan0" });
  const client = dhcp6c.svc.client.build({ interface: wan });
  const services = {
    wan,
    lan,
    client,
    prefix: dhcp6c.svc.prefix.build({ client, interface: lan }),
    address: dhcp6c.svc.address.build({ client, interface: lan }),
  };
  return compile(evaluate(defineConfig({ imports: [network, dhcp6c], services }), testDevice));
}

/** Writes the system's files into `<dir>/<top>/upper` for each top-level folder they are in; returns those folders. */
function layOut(sys: SystemDescription, dir: string): string[] {
  const tops = new Set<string>();
  for (const f of sys.files) {
    const [, top, ...rest] = f.path.split("/");
    tops.add(top);
    const dest = join(dir, top, "upper", ...rest);
    mkdirSync(f.type === "directory" ? dest : dirname(dest), { recursive: true });
    if (f.type === "file") {
      writeFileSync(dest, f.content);
      chmodSync(dest, f.mode);
    } else if (f.type === "symlink") symlinkSync(f.target, dest);
  }
  for (const top of tops) mkdirSync(join(dir, top, "work"), { recursive: true });
  return [...tops];
}

/** Resolves with the first `pattern` match in what `stream` says, or rejects after `ms` with all it said. */
function waitFor(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
  ms: number,
  what: string,
  log = () => "",
): Promise<string> {
  let text = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: no ${pattern} after ${ms} ms; it said:\n${text}${log()}`)),
      ms,
    );
    stream.on("data", (d: Buffer) => {
      text += d.toString();
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
}

describe("dhcp6c with dhcpcd against Kea", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "limen-dhcp6c-"));
  const started: ChildProcess[] = [];
  let server: Netns;
  let client: Netns;
  let holder: ChildProcess;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ensureCommands(["dhcpcd", "kea-dhcp6", "unshare", "nsenter"]);
    server = new Netns();
    client = new Netns();
    client.ip("link", "add", "wan0", "type", "veth", "peer", "name", "s0", "netns", server.name);
    client.ip("link", "add", "lan0", "type", "veth", "peer", "name", "lan1");
    server.inside("sysctl", "-qw", "net.ipv6.conf.s0.accept_dad=0");
    server.ip("link", "set", "s0", "up");
    server.ip("address", "add", "2001:db8:0:1::1/64", "dev", "s0", "nodad");
    writeFileSync(join(dir, "kea.json"), JSON.stringify(kea));
    const keaProcess = spawn("ip", ["netns", "exec", server.name, "kea-dhcp6", "-c", join(dir, "kea.json")], {
      env: { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.push(keaProcess);
    await waitFor(keaProcess.stderr, /DHCP6_STARTED/, 20_000, "kea-dhcp6");

    // The client namespace's mounts live as long as `holder`; each step enters them with nsenter.
    const tops = layOut(system(), join(dir, "root"));
    const mounts = [
      "mount -t tmpfs limen-run /run",
      ...tops.map(
        (t) =>
          `mount -t overlay -o lowerdir=/${t},upperdir=${dir}/root/${t}/upper,workdir=${dir}/root/${t}/work limen-${t} /${t}`,
      ),
    ];
    holder = spawn(
      "ip",
      [
        "netns",
        "exec",
        client.name,
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-ec",
        `${mounts.join("\n")}\necho mounted\nexec sleep 1000`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    started.push(holder);
    await waitFor(holder.stdout!, /mounted/, 10_000, "mount namespace");
    const bin = join(dir, "bin");
    mkdirSync(bin);
    symlinkSync(binaryPath("x86_64"), join(bin, "output"));
    env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, LIMEN_ROOT: undefined };
  });

  afterAll(() => {
    for (const p of started.reverse()) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    // what a failed run leaves behind: dhcpcd's helper processes outlive a killed dhcpcd
    for (const ns of [server, client]) if (ns) for (const pid of pidsIn(ns)) process.kill(Number(pid), "SIGKILL");
    server?.delete();
    client?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  const enter = (...argv: string[]) => ["-t", String(holder.pid), "-m", "-n", "--", ...argv];
  /** Runs argv in the client's namespaces; throws with what it said when it fails. */
  function inClient(...argv: string[]): string {
    const r = spawnSync("nsenter", enter(...argv), { env, encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  }
  const output = (key: string) => inClient("output", "wan0.link.dhcp6c", key).trim();
  const addresses = (dev: string) => client.inside("ip", "-6", "-o", "address", "show", "dev", dev);

  it("publishes the lease as outputs, ready once it has one, and the oneshots put addresses from it", async () => {
    inClient("sh", `${onDevice.oneshot("wan0.link")}/up`);
    inClient("sh", `${onDevice.oneshot("lan0.link")}/up`);
    // fd 3 stands for s6's notification pipe
    const dhcpcd = spawn("nsenter", enter("sh", `${onDevice.longrun("wan0.link.dhcp6c")}/run`), {
      env,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    started.push(dhcpcd);
    let said = "";
    dhcpcd.stdout!.on("data", (d: Buffer) => (said += d.toString()));
    dhcpcd.stderr!.on("data", (d: Buffer) => (said += d.toString()));
    await waitFor(dhcpcd.stdio[3] as NodeJS.ReadableStream, /\n/, 30_000, "dhcpcd's readiness", () => said);

    const [address, ...more] = output("addresses").split(" ");
    expect(more).toEqual([]);
    const m = /^2001:db8:0:1::([0-9a-f]+)\/128$/.exec(address);
    expect(m, `address ${address} is not an address of the subnet`).not.toBeNull();
    expect(parseInt(m![1], 16)).toBeGreaterThanOrEqual(pool.first);
    expect(parseInt(m![1], 16)).toBeLessThanOrEqual(pool.last);
    expect(output("prefixes")).toBe(delegated);
    expect(output("rdnss")).toBe(dnsServers);
    expect(output("domains")).toBe(domains);
    // dhcpcd puts the address on its interface itself, and guards the prefix with an unreachable route
    expect(addresses("wan0")).toContain(`inet6 ${address} `);
    expect(client.inside("ip", "-6", "route", "show", delegated)).toMatch(/^unreachable 2001:db8:100::\/48 /);
    // dhcpcd runs its unprivileged parts as the module's account, and keeps its lease on /run
    expect(uidsIn(client)).toContain("53");
    expect(inClient("ls", "/run/dhcpcd").split("\n")).toEqual(expect.arrayContaining(["duid", "wan0.lease6"]));

    inClient("sh", `${onDevice.oneshot("lan0.link.prefix6")}/up`);
    inClient("sh", `${onDevice.oneshot("lan0.link.address6")}/up`);
    expect(addresses("lan0")).toContain("inet6 2001:db8:100::1/64");
    expect(addresses("lan0")).toContain(`inet6 ${address.replace("/128", "/64")}`);
    inClient("sh", `${onDevice.oneshot("lan0.link.prefix6")}/down`);
    inClient("sh", `${onDevice.oneshot("lan0.link.address6")}/down`);
    expect(addresses("lan0")).not.toContain("2001:db8:");

    // stopping ends the lease: its outputs, its address and its route go
    const ended = new Promise((r) => dhcpcd.on("exit", r));
    dhcpcd.kill("SIGTERM");
    await ended;
    expect(() => output("prefixes")).toThrow(/wan0\.link\.dhcp6c has no output prefixes/);
    expect(addresses("wan0")).not.toContain("2001:db8:");
    expect(client.inside("ip", "-6", "route", "show", delegated)).toBe("");
  });

  it("refuses to put an address on the client's own interface", () => {
    const wan = network.svc.link.build({ ifname: "wan0" });
    const client = dhcp6c.svc.client.build({ interface: wan });
    const address = dhcp6c.svc.address.build({ client, interface: wan });
    expect(() => evaluate(defineConfig({ imports: [network, dhcp6c], services: { address } }), testDevice)).toThrow(
      /is the interface wan0\.link\.dhcp6c runs on: give another one/,
    );
  });
});

// The hook as the device runs it: Debian's busybox sh for mipsel under qemu-user, with a lease of
// two addresses (Kea above hands out one) and then the end of the lease.
describe("the dhcpcd hook under the device's busybox", { timeout: 120_000 }, () => {
  it("lists every address and prefix, signals readiness, and removes the outputs when the lease ends", async () => {
    ensureCommands(["qemu-mipsel-static"]);
    const dir = mkdtempSync(join(tmpdir(), "limen-dhcp6c-hook-"));
    try {
      const root = join(dir, "root");
      for (const f of await new PackageCollector("mipsel").collect([{ package: "busybox", files: ["/bin/busybox"] }])) {
        mkdirSync(dirname(join(root, f.path)), { recursive: true });
        if (f.link !== undefined) symlinkSync(f.link, join(root, f.path));
        else copyFileSync(f.source!, join(root, f.path));
      }
      const hook = system().files.find((f) => f.path === "/etc/limen/dhcpcd/dhcp6-hook");
      if (hook?.type !== "file") throw new Error("the module has no hook script");
      writeFileSync(join(dir, "hook"), hook.content);
      const outputs = join(dir, "outputs");
      mkdirSync(outputs);
      const run = (lease: Record<string, string>) =>
        spawnSync("qemu-mipsel-static", ["-L", root, join(root, "bin/busybox"), "sh", join(dir, "hook")], {
          env: { PATH: "/usr/bin:/bin", OUTPUTS: outputs, ...lease },
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe", "pipe"],
        });
      const bound = run({
        reason: "BOUND6",
        interface: "ppp0",
        new_dhcp6_ia_na1_ia_addr1: "2001:db8::100",
        new_dhcp6_ia_na1_ia_addr2: "2001:db8::101",
        new_dhcp6_ia_pd1_prefix1: "2001:db8:1::",
        new_dhcp6_ia_pd1_prefix1_length: "48",
        new_dhcp6_ia_pd1_prefix2: "2001:db8:2:100::",
        new_dhcp6_ia_pd1_prefix2_length: "56",
        new_dhcp6_name_servers: "2001:db8::53",
      });
      expect({ status: bound.status, stderr: bound.stderr }).toEqual({ status: 0, stderr: "" });
      expect(bound.output[3]).toBe("\n");
      const read = (k: string) => readFileSync(join(outputs, k), "utf8");
      expect([read("addresses"), read("prefixes"), read("rdnss")]).toEqual([
        "2001:db8::100/128 2001:db8::101/128\n",
        "2001:db8:1::/48 2001:db8:2:100::/56\n",
        "2001:db8::53\n",
      ]);
      // no search list in this lease: no output rather than an empty one
      expect(readdirSync(outputs).sort()).toEqual(["addresses", "prefixes", "rdnss"]);
      expect(run({ reason: "STOP6", interface: "ppp0" }).status).toBe(0);
      expect(readdirSync(outputs)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
