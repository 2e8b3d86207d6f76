// The firewall template: typed openings and chain rules checked by nft when the configuration is
// evaluated, and the ruleset itself loaded by the host's nft into network namespaces, where a
// packet from the WAN side is dropped or accepted and LAN traffic leaves, IPv4 masqueraded and
// IPv6 with the client's own address.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, oneshot } from "../../image/config/index.ts";
import firewall from "../../services/firewall/index.ts";
import network from "../../services/network/index.ts";
import { layout } from "../../runtime/src/layout.ts";
import { Netns } from "../lib/netns.ts";
import { until } from "../lib/until.ts";
import { failure, testDevice } from "./fixtures.ts";

const onDevice = layout("");
const iface = (name: string, ifname: string) =>
  oneshot({ name, outputs: ["ifname"], up: `echo ${ifname} > "$OUTPUTS/ifname"` });

function system(params: Parameters<typeof firewall.svc.firewall.build>[0]): SystemDescription {
  const fw = firewall.svc.firewall.build(params);
  return compile(
    evaluate(
      defineConfig({
        imports: [firewall, network],
        services: { fw, forwarding: network.svc.forward.build({}).after(fw) },
      }),
      testDevice,
    ),
  );
}

function content(sys: SystemDescription, path: string): string {
  const f = sys.files.find((e) => e.path === path);
  if (f?.type !== "file") throw new Error(`no file ${path}`);
  return f.content;
}

describe("the firewall template", () => {
  it("loads its ruleset before any interface: members join their zone, forwarding waits for it", () => {
    const sys = system({ zones: { lan: [iface("lan", "br0")], wan: [iface("wan", "ppp0")] } });
    const db = sys.database.services;
    expect(db["firewall"].dependencies).toEqual([]);
    expect(db["firewall.wan.wan"].dependencies.sort()).toEqual(["firewall", "wan"]);
    expect(db["forwarding"].dependencies).toEqual(["firewall"]);
    expect(content(sys, `${onDevice.oneshots}/firewall.wan.wan/up`)).toContain("nft add element inet limen wan");
  });

  it("refuses an opening for a zone it does not have, naming the option", () => {
    const e = failure(() =>
      system({ zones: { wan: [iface("wan", "ppp0")] }, open: [{ zone: "lan", protocol: "tcp", ports: [22] }] }),
    );
    expect(e.path).toBe("services.fw.open[0].zone");
    expect(e.file).toMatch(/^test\/config\/firewall\.test\.ts:\d+$/);
    expect(e.problem).toBe('no zone "lan" in zones');
  });

  it("refuses a port range that is not low to high", () => {
    const e = failure(() =>
      system({ zones: { wan: [iface("wan", "ppp0")] }, open: [{ zone: "wan", protocol: "udp", ports: ["90-80"] }] }),
    );
    expect(e.path).toBe("services.fw.open[0].ports[0]");
  });

  it("has nft check the rules: a bad one is reported at its option with nft's reason", () => {
    const e = failure(() =>
      system({ zones: { wan: [iface("wan", "ppp0")] }, rules: { input: ["tcp dport 80 acept"] } }),
    );
    expect(e.path).toBe("services.fw.rules.input[0]");
    expect(e.problem).toMatch(/^nft rejects "tcp dport 80 acept": syntax error/);
    // as on the device, where nft has no /etc/protocols to look a name up in
    const named = failure(() =>
      system({ zones: { wan: [iface("wan", "ppp0")] }, rules: { input: ["meta l4proto ipv6-icmp accept"] } }),
    );
    expect(named.path).toBe("services.fw.rules.input[0]");
    const t = failure(() => system({ extraRules: "  chain x {\n    bogus\n  }" }));
    expect(t.path).toBe("services.fw.extraRules");
  });
});

// Three namespaces: wan (an "internet" host at 192.0.2.1), the router (ruleset, members, forwarding)
// and lan (a client at 10.9.0.2). socat listens on the router and on the wan host.
describe.skipIf(process.getuid?.() !== 0)("the ruleset in network namespaces", () => {
  const dir = mkdtempSync(join(tmpdir(), "limen-fw-"));
  const [wanHost, router, lanHost] = [new Netns(), new Netns(), new Netns()];
  afterAll(() => {
    for (const n of [wanHost, router, lanHost]) n.delete();
    for (const l of listeners) l.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const link = (a: Netns, aName: string, b: Netns, bName: string) => {
    a.ip("link", "add", aName, "type", "veth", "peer", "name", bName, "netns", b.name);
    a.ip("link", "set", aName, "up");
    b.ip("link", "set", bName, "up");
  };
  const sh = (ns: Netns, script: string, env: Record<string, string> = {}) =>
    spawnSync("ip", ["netns", "exec", ns.name, "sh", "-c", script], {
      encoding: "utf8",
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
  const listeners: ChildProcess[] = [];
  const listen = async (ns: Netns, port: number, reply: string, tcp: "TCP" | "TCP6" = "TCP") => {
    const argv = ["netns", "exec", ns.name, "socat", `${tcp}-LISTEN:${port},fork,reuseaddr`, `SYSTEM:${reply}`];
    listeners.push(spawn("ip", argv, { stdio: "ignore" }));
    await until(`socat listening on ${port}`, () => sh(ns, "ss -ltnH").stdout.includes(`:${port} `));
  };
  const connect = (ns: Netns, address: string, port: number) =>
    sh(ns, `socat -T 3 - TCP:${address}:${port},connect-timeout=3 </dev/null`).stdout.trim();

  // a datagram from the WAN host's link-local address and port `sport` to the router's DHCPv6
  // client port, as a server's answer to a multicast request comes: what the router received
  const dhcp6Answer = async (sport: number) => {
    const argv = ["netns", "exec", router.name, "timeout", "2", "socat", "-u", "UDP6-RECV:546", "STDOUT"];
    const receiver = spawn("ip", argv, { stdio: ["ignore", "pipe", "ignore"] });
    let got = "";
    receiver.stdout.on("data", (d: Buffer) => (got += d.toString()));
    const done = new Promise((r) => receiver.on("exit", r));
    await until("a receiver on 546", () => sh(router, "ss -lunH").stdout.includes(":546 "));
    const to = `UDP6-SENDTO:[fe80::2]:546,bind=[fe80::1]:${sport},so-bindtodevice=eth0`;
    sh(wanHost, `echo answer | socat -u STDIN ${to}`);
    await done;
    return got.trim();
  };

  // 50 ICMP datagrams of 200 bytes from `from` to `address` on the router: how many got through
  // its input chain to a raw socket there
  const icmpThrough = async (from: Netns, address: string) => {
    const argv = ["netns", "exec", router.name, "timeout", "3", "socat", "-u", "IP4-RECV:1", "STDOUT"];
    const receiver = spawn("ip", argv, { stdio: ["ignore", "pipe", "ignore"] });
    let bytes = 0;
    receiver.stdout.on("data", (d: Buffer) => (bytes += d.length));
    const done = new Promise((r) => receiver.on("exit", r));
    await until("a raw ICMP receiver", () => sh(router, "ss -wanH").stdout.includes(":1 "));
    sh(from, `for i in $(seq 50); do head -c 200 /dev/zero | socat -u - IP4-SENDTO:${address}:1; done`);
    await done;
    return bytes / 200;
  };

  it("drops what the zones and openings do not allow, accepts openings, masquerades the LAN's IPv4 only, limits WAN ICMP", async () => {
    link(router, "wan0", wanHost, "eth0");
    link(router, "lan0", lanHost, "eth0");
    router.ip("addr", "add", "192.0.2.2/24", "dev", "wan0");
    router.ip("addr", "add", "10.9.0.1/24", "dev", "lan0");
    wanHost.ip("addr", "add", "192.0.2.1/24", "dev", "eth0");
    lanHost.ip("addr", "add", "10.9.0.2/24", "dev", "eth0");
    lanHost.ip("route", "add", "default", "via", "10.9.0.1");
    // IPv6: the LAN a routed prefix of its own, as a delegation gives it
    router.ip("addr", "add", "2001:db8::2/64", "dev", "wan0", "nodad");
    router.ip("addr", "add", "2001:db8:1::1/64", "dev", "lan0", "nodad");
    wanHost.ip("addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad");
    wanHost.ip("route", "add", "2001:db8:1::/64", "via", "2001:db8::2");
    lanHost.ip("addr", "add", "2001:db8:1::2/64", "dev", "eth0", "nodad");
    lanHost.ip("route", "add", "default", "via", "2001:db8:1::1");

    const sys = system({
      zones: { lan: [iface("lan", "lan0")], wan: [iface("wan", "wan0")] },
      open: [{ zone: "wan", protocol: "tcp", ports: [2222, "8000-8001"] }],
    });
    const ruleset = join(dir, "firewall.nft");
    writeFileSync(ruleset, content(sys, "/etc/limen/firewall/firewall.nft"));
    // the members' own scripts, with `output` answering each interface's ifname
    const bin = join(dir, "bin");
    spawnSync("mkdir", ["-p", bin]);
    // the WAN publishes a bandwidth of 20000 bytes/s, as PPPoE's option makes it do
    const outputs = '"lan ifname") echo lan0;; "wan ifname") echo wan0;; "wan bandwidth") echo 20000;; *) exit 1;;';
    writeFileSync(join(bin, "output"), `#!/bin/sh\ncase "$1 $2" in ${outputs} esac\n`);
    chmodSync(join(bin, "output"), 0o755);
    expect(sh(router, `nft -f ${ruleset}`).status).toBe(0);
    for (const m of ["firewall.lan.lan", "firewall.wan.wan"]) {
      const r = sh(router, content(sys, `${onDevice.oneshots}/${m}/up`), { PATH: `${bin}:${process.env.PATH}` });
      expect(r.stderr).toBe("");
    }
    expect(sh(router, "nft list set inet limen wan").stdout).toContain('"wan0"');
    sh(router, "echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding");

    await listen(router, 2222, "echo open");
    await listen(router, 2323, "echo closed");
    await listen(wanHost, 80, 'echo "from $SOCAT_PEERADDR"');
    expect(connect(wanHost, "192.0.2.2", 2222)).toBe("open");
    expect(connect(wanHost, "192.0.2.2", 2323)).toBe("");
    expect(connect(lanHost, "10.9.0.1", 2323)).toBe("closed");
    expect(connect(lanHost, "192.0.2.1", 80)).toBe("from 192.0.2.2");
    // IPv6 leaves with the client's own address, and nothing new comes in to it
    await listen(wanHost, 8080, 'echo "from $SOCAT_PEERADDR"', "TCP6");
    expect(connect(lanHost, "[2001:db8::1]", 8080)).toBe("from [2001:0db8:0001:0000:0000:0000:0000:0002]");
    await listen(lanHost, 8081, "echo reached", "TCP6");
    expect(connect(wanHost, "[2001:db8:1::2]", 8081)).toBe("");
    expect(connect(router, "[2001:db8:1::2]", 8081)).toBe("reached");
    // ICMP from the WAN gets 1/20 of its bandwidth (1000 bytes/s, as much again at once); the LAN's is not limited
    expect(await icmpThrough(wanHost, "192.0.2.2")).toBeLessThanOrEqual(15);
    expect(await icmpThrough(lanHost, "10.9.0.1")).toBe(50);
    // DHCPv6 answers from a link-local server come in; nothing else from there does
    router.ip("addr", "add", "fe80::2/64", "dev", "wan0", "nodad");
    wanHost.ip("addr", "add", "fe80::1/64", "dev", "eth0", "nodad");
    expect(await dhcp6Answer(547)).toBe("answer");
    expect(await dhcp6Answer(548)).toBe("");

    // the WAN member leaves its zone: the opening closes with it, the ruleset stays
    sh(router, content(sys, `${onDevice.oneshots}/firewall.wan.wan/down`), { PATH: `${bin}:${process.env.PATH}` });
    expect(connect(wanHost, "192.0.2.2", 2222)).toBe("");
    expect(sh(router, "nft list tables").stdout).toContain("table inet limen");
    expect(sh(router, "nft list map inet limen icmp_limit").stdout).not.toContain("wan0");
    expect(await icmpThrough(wanHost, "192.0.2.2")).toBe(50);
  });
});
