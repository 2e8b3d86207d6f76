// The lab's checks: each a named row of the report, applicable or not to a configuration's
// topology, run against the booted guests with the commands and outputs kept as evidence.
import { internet, ispWan, whoamiPath, zone } from "./plan.ts";
import { inRange, parseLease, parseNslookup, parseSvstat, parseWhoami, type Lease } from "./parse.ts";
import type { Topology } from "./topology.ts";

/** A guest the checks run shell commands on (a Vm at a logged-in prompt). */
export interface Shell {
  run(command: string, timeoutMs?: number): Promise<string & { code: number }>;
}

export type Role = "router" | "client" | "isp";

export interface Evidence {
  guest: Role;
  command: string;
  output: string;
}

export interface Outcome {
  pass: boolean;
  /** One line: what was found, or what is wrong. */
  detail: string;
}

/** What the checks share: the guests, and what earlier checks learned. */
export class LabContext {
  readonly evidence: Evidence[] = [];
  lease: Lease | null = null;
  wanAddress: string | null = null;

  constructor(
    readonly topology: Topology,
    private readonly guests: Record<Role, Shell>,
  ) {}

  /** Runs `command` on a guest, keeping it and its output as evidence. */
  async on(guest: Role, command: string, timeoutMs = 60_000): Promise<string> {
    const output = await this.guests[guest].run(command, timeoutMs);
    this.evidence.push({ guest, command, output: String(output) });
    return String(output);
  }
}

export interface Check {
  name: string;
  /** Why it does not apply to this topology, or null when it does. */
  notApplicable(t: Topology): string | null;
  run(ctx: LabContext): Promise<Outcome>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const wanUp: Check = {
  name: "wan.up",
  notApplicable: (t) => (t.wan.kind === "dhcp" ? null : `a ${t.wan.kind} WAN: not checked yet`),
  async run(ctx) {
    const svc = ctx.topology.wan.service;
    // the router may still be waiting for its lease
    let state;
    for (let deadline = Date.now() + 90_000; ; await sleep(3000)) {
      state = parseSvstat(await ctx.on("router", `s6-svstat /run/service/${svc}`));
      if (state?.ready || Date.now() > deadline) break;
      ctx.evidence.pop();
    }
    if (!state?.ready) {
      await ctx.on("router", `svc log | grep -F ${svc} | tail -n 15`);
      return { pass: false, detail: `${svc} is not ready (no lease within 90 s)` };
    }
    const ip = (await ctx.on("router", `output ${svc} ip`)).trim();
    const router = (await ctx.on("router", `output ${svc} router`)).trim();
    ctx.wanAddress = ip;
    const [first, last] = ispWan.dhcpRange;
    if (!inRange(ip, first, last))
      return { pass: false, detail: `${svc} has ${ip}, not in the ISP's ${first}–${last}` };
    if (router !== ispWan.v4)
      return { pass: false, detail: `${svc}'s router is ${router}, not the ISP's ${ispWan.v4}` };
    return { pass: true, detail: `${svc} ready with ${ip} from the ISP, router ${router}` };
  },
};

const udhcpc = "udhcpc -i eth0 -n -q -t 10 -T 3 -s /bin/lease";

const lanDhcp4: Check = {
  name: "lan.dhcp4",
  notApplicable: (t) => (t.lan.ranges.length > 0 ? null : `${t.lan.service} has no IPv4 DHCP range`),
  async run(ctx) {
    const { lan } = ctx.topology;
    const lease = parseLease(await ctx.on("client", udhcpc, 90_000));
    if (!lease) return { pass: false, detail: "the client got no lease" };
    ctx.lease = lease;
    if (!lan.ranges.some(([f, l]) => inRange(lease.ip, f, l)))
      return { pass: false, detail: `lease ${lease.ip} is in no range of ${lan.service}` };
    if (lease.router !== lan.address)
      return { pass: false, detail: `router option ${lease.router}, not ${lan.address}` };
    if (!lease.dns.includes(lan.address))
      return { pass: false, detail: `DNS option ${lease.dns.join(",") || "missing"}, not ${lan.address}` };
    const dynamic = `lease ${lease.ip}/${lease.mask} with router and DNS ${lan.address}`;
    const host = lan.hosts[0];
    if (!host) return { pass: true, detail: `${dynamic}; no static host configured` };
    await ctx.on("client", `ip link set eth0 down && ip link set eth0 address ${host.mac} && ip link set eth0 up`);
    const fixed = parseLease(await ctx.on("client", udhcpc, 90_000));
    if (!fixed) return { pass: false, detail: `${dynamic}; as ${host.mac} (${host.name}) no lease` };
    ctx.lease = fixed;
    if (fixed.ip !== host.v4)
      return { pass: false, detail: `${dynamic}; as ${host.mac} got ${fixed.ip}, not ${host.name}'s ${host.v4}` };
    return { pass: true, detail: `${dynamic}; as ${host.mac} the fixed ${host.v4} (${host.name})` };
  },
};

const lanDns: Check = {
  name: "lan.dns",
  notApplicable: () => null,
  async run(ctx) {
    const { lan, hostname } = ctx.topology;
    if (!ctx.lease) return { pass: false, detail: "the client has no lease (see lan.dhcp4)" };
    // dnsmasq --dhcp-fqdn: LAN names are known in the local domain only
    const local = (name: string) => (lan.domain === null ? name : `${name}.${lan.domain}`);
    const names: [string, string][] = [
      ...lan.hosts.slice(0, 1).map((h): [string, string] => [local(h.name), h.v4]),
      [local(hostname), lan.address],
      [`www.${zone.domain}`, internet.www.v4],
    ];
    const wrong: string[] = [];
    for (const [name, expected] of names) {
      const answer = parseNslookup(await ctx.on("client", `nslookup ${name} ${lan.address}`));
      if (!answer.addresses.includes(expected))
        wrong.push(`${name}: ${answer.error ?? answer.addresses.join(" ")} (expected ${expected})`);
    }
    if (wrong.length > 0) return { pass: false, detail: wrong.join("; ") };
    return { pass: true, detail: `${names.map(([n, a]) => `${n} → ${a}`).join(", ")} through ${lan.address}` };
  },
};

const nat4: Check = {
  name: "nat4",
  notApplicable: () => null,
  async run(ctx) {
    if (!ctx.lease) return { pass: false, detail: "the client has no lease (see lan.dhcp4)" };
    const url = `http://${internet.www.v4}${whoamiPath}`;
    // (Debian's busybox wget crashes with -q or -T: its answer goes to a file, read last)
    const seen = parseWhoami(
      await ctx.on("client", `rm -f /tmp/whoami; timeout 30 wget -O /tmp/whoami ${url} 2>&1; cat /tmp/whoami`),
    );
    const wan = ctx.wanAddress ?? (await ctx.on("router", `output ${ctx.topology.wan.service} ip`)).trim();
    if (seen === null) return { pass: false, detail: `no answer from ${url}` };
    if (seen !== wan) return { pass: false, detail: `the ISP saw ${seen}, not the router's WAN address ${wan}` };
    return { pass: true, detail: `the ISP's web server saw the router's WAN address ${wan}` };
  },
};

/** Every check, in the order they run (later ones use what earlier ones learned). */
export const checks: Check[] = [wanUp, lanDhcp4, lanDns, nat4];
