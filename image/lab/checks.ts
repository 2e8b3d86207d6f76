// The lab's checks: each a named row of the report, applicable or not to a configuration's
// topology, run against the booted guests with the commands and outputs kept as evidence.
import { internet, ispManagement, ispPppoe, ispWan, whoamiPath, zone } from "./plan.ts";
import {
  inPrefix6,
  inRange,
  ipv4,
  ipv6 as ipv6Of,
  parseIpAddresses,
  parseLease,
  parseNslookup,
  parseOutputs,
  parsePppdFailure,
  parsePppol2tp,
  parseClockOffset,
  parseConnect,
  parseDbclientExit,
  parseForwardingSamples,
  parseSshSession,
  parseSvcStatus,
  parseSvstat,
  parseTracking,
  parseUdpListeners,
  parseUdpProbe,
  parseUptime,
  parseWhoami,
  parseHostapdStatus,
  parseRadios,
  parseStationTimes,
  type Lease,
  type ServiceState,
} from "./parse.ts";
import type { AccessPoint, Topology, Value, WanKind } from "./topology.ts";
import {
  associate,
  associateRefused,
  channelFrequency,
  listRadios,
  stationFetch,
  stationSetup,
  stationTeardown,
} from "./station.ts";
import { clientKey } from "./client.ts";
import { rulesetFile } from "../../services/firewall/index.ts";

/** A guest the checks run shell commands on (a Vm at a logged-in prompt). */
export interface Shell {
  run(command: string, timeoutMs?: number): Promise<string & { code: number }>;
  /** Types into the console (what an interactive program reads). */
  send(text: string): void;
  waitFor(pattern: RegExp, timeoutMs: number, from?: number): Promise<RegExpMatchArray>;
  /** Everything the console printed so far. */
  readonly console: string;
  /** Runs a command at the guest's QEMU monitor (HMP) and returns its answer. */
  monitor(command: string): Promise<string>;
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
  /** The interface holding wanAddress (ppp0, or the DHCP WAN's). */
  wanIfname: string | null = null;
  /** The LAN client's global IPv6 address, in the delegated prefix (see ipv6). */
  clientV6: string | null = null;
  /** Seconds of what the checks measured, for the report's times. */
  readonly times: Record<string, number> = {};
  /** What the lab put in each secrets store, by service and key (lab.ts sets it). */
  secrets: Record<string, Record<string, string>> = {};

  constructor(
    readonly topology: Topology,
    private readonly guests: Record<Role, Shell>,
  ) {}

  /** A configured value: a literal, or a secrets store's key as the lab wrote it (null from anything else). */
  valueOf(v: Value): string | null {
    return typeof v === "string" ? v : (this.secrets[v.service]?.[v.path]?.replace(/\n+$/, "") ?? null);
  }

  /** Runs `command` on a guest, keeping it and its output as evidence. */
  async on(guest: Role, command: string, timeoutMs = 60_000): Promise<string> {
    const output = await this.guests[guest].run(command, timeoutMs);
    this.evidence.push({ guest, command, output: String(output) });
    return String(output);
  }

  /** Runs `command` at a guest's QEMU monitor, keeping it and its answer as evidence. */
  async monitor(guest: Role, command: string): Promise<string> {
    const output = await this.guests[guest].monitor(command);
    this.evidence.push({ guest, command: `(qemu monitor) ${command}`, output });
    return output;
  }

  /**
   * Runs the interactive `command` on a guest's console and, once its output shows `ready`, types
   * `lines` into it; returns all it printed. Nothing is typed if it ends first (the lines would go
   * to the guest's own shell).
   */
  async converse(guest: Role, command: string, ready: RegExp, lines: string[], timeoutMs = 60_000): Promise<string> {
    const shell = this.guests[guest];
    const from = shell.console.length;
    const done = shell.run(command, timeoutMs);
    const prompt = await Promise.race([
      shell.waitFor(ready, timeoutMs, from).then(() => true),
      done.then(() => false),
    ]).catch(() => false);
    if (prompt) for (const line of lines) shell.send(`${line}\n`);
    const output = String(await done);
    this.evidence.push({ guest, command: [command, ...(prompt ? lines : [])].join("\n> "), output });
    return output;
  }
}

export interface Check {
  name: string;
  /** Why it does not apply to this topology, or null when it does. */
  notApplicable(t: Topology): string | null;
  run(ctx: LabContext): Promise<Outcome>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls s6-svstat until `svc` is ready or `timeoutMs` passes, keeping only the last answer as evidence. */
async function waitReady(ctx: LabContext, svc: string, timeoutMs: number): Promise<ServiceState | null> {
  let state;
  for (let deadline = Date.now() + timeoutMs; ; await sleep(2000)) {
    state = parseSvstat(await ctx.on("router", `s6-svstat /run/service/${svc}`));
    if (state?.ready || Date.now() > deadline) return state;
    ctx.evidence.pop();
  }
}

/** A DHCP WAN: a lease from the ISP's range, its router the ISP. */
async function dhcpWan(ctx: LabContext, svc: string): Promise<Outcome> {
  const outputs = parseOutputs(await ctx.on("router", `svc outputs ${svc}`));
  const { ip = "", router = "" } = outputs;
  ctx.wanAddress = ip;
  ctx.wanIfname = outputs.interface ?? null;
  const [first, last] = ispWan.dhcpRange;
  if (!inRange(ip, first, last)) return { pass: false, detail: `${svc} has ${ip}, not in the ISP's ${first}–${last}` };
  if (router !== ispWan.v4) return { pass: false, detail: `${svc}'s router is ${router}, not the ISP's ${ispWan.v4}` };
  return { pass: true, detail: `${svc} ready with ${ip} from the ISP, router ${router}` };
}

/** A PPP WAN (PPPoE, L2TP): the outputs IPCP gave, and the PPP interface holding that address with the ISP as peer. */
async function pppWan(ctx: LabContext, svc: string): Promise<Outcome> {
  const outputs = parseOutputs(await ctx.on("router", `svc outputs ${svc}`));
  const { address = "", ifname = "" } = outputs;
  const peer = outputs["peer-address"] ?? "";
  const dns = (outputs.dns ?? "").split(/\s+/).filter(Boolean);
  ctx.wanAddress = address;
  ctx.wanIfname = ifname || "ppp0";
  const first = ipv4(ispPppoe.firstRemote)!;
  const a = ipv4(address);
  if (a === null || a < first || a >= first + ispPppoe.sessions)
    return {
      pass: false,
      detail: `${svc}'s address is "${address}", not one of the ISP's from ${ispPppoe.firstRemote}`,
    };
  if (peer !== ispPppoe.local)
    return { pass: false, detail: `${svc}'s peer-address is "${peer}", not ${ispPppoe.local}` };
  if (!dns.includes(ispWan.v4)) return { pass: false, detail: `${svc}'s dns is "${dns.join(" ")}", not ${ispWan.v4}` };
  const held = parseIpAddresses(await ctx.on("router", `ip -4 address show dev ${ctx.wanIfname}`));
  if (!held.some((h) => h.address === address && h.peer === peer))
    return { pass: false, detail: `${ctx.wanIfname} does not hold ${address} with peer ${peer}` };
  // the ISP took the password, and no process shows it on its command line (which /proc gives
  // every user); the pattern's brackets keep grep's own command line from matching it
  const password = ispPppoe.password;
  const pattern = `${password.slice(0, -1)}[${password.slice(-1)}]`;
  const shown = (
    await ctx.on("router", `cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | grep -c '${pattern}'`)
  ).trim();
  if (shown !== "0")
    return {
      pass: false,
      detail: /^\d+$/.test(shown)
        ? `the PPP password is on ${shown} command line(s) in /proc`
        : `could not read the command lines in /proc: ${shown}`,
    };
  return {
    pass: true,
    detail: `${svc} ready: ${ifname} ${address} peer ${peer}, DNS ${dns.join(" ")}; the password on no command line`,
  };
}

/** Why a check of a router's own WAN, routing or services does not apply to an access point, or null. */
function accessPoint(t: Topology, what: string): string | null {
  return t.kind === "wap" ? `an access point (wap): ${what}` : null;
}

const wanUp: Check = {
  name: "wan.up",
  notApplicable: (t) => accessPoint(t, "no WAN of its own, its uplink port is in its bridge"),
  async run(ctx) {
    const { service: svc, kind } = ctx.topology.wan!;
    // the router may still be waiting for its lease or session; a refused login will not change
    let state: ServiceState | null = null;
    let refused: string | null = null;
    for (const deadline = Date.now() + 90_000; Date.now() < deadline && refused === null; await sleep(2000)) {
      state = parseSvstat(await ctx.on("router", `s6-svstat /run/service/${svc}`));
      if (state?.ready) break;
      ctx.evidence.pop();
      if (kind !== "dhcp") {
        const why = parsePppdFailure(await ctx.on("router", `svc log ${svc} | tail -n 5`));
        ctx.evidence.pop();
        if (why !== null && /authentication failed/i.test(why)) refused = why;
      }
    }
    if (!state?.ready) {
      const log = await ctx.on("router", `svc log ${svc} | tail -n 20`);
      const why = kind !== "dhcp" ? parsePppdFailure(log) : null;
      return { pass: false, detail: `${svc} is not ready${refused ? "" : " within 90 s"}${why ? `: ${why}` : ""}` };
    }
    // when it became ready, in seconds since the router's kernel started
    const uptime = parseUptime(await ctx.on("router", "cat /proc/uptime"));
    if (uptime !== null && state.readyFor !== null) ctx.times["router boot to wan.up"] = uptime - state.readyFor;
    return kind === "dhcp" ? dhcpWan(ctx, svc) : pppWan(ctx, svc);
  },
};

const wanL2tp: Check = {
  name: "wan.l2tp",
  notApplicable: (t) =>
    t.wan === null ? "no WAN" : t.wan.kind === "l2tp" ? null : `a ${t.wan.kind} WAN: no L2TP tunnel`,
  async run(ctx) {
    const { service: svc, upstream } = ctx.topology.wan!;
    if (ctx.wanAddress === null || ctx.wanIfname === null)
      return { pass: false, detail: `${svc} has no session (see wan.up)` };
    // the upstream link the tunnel runs over: a lease from the ISP's segment (or a static address)
    const link = parseOutputs(await ctx.on("router", `svc outputs ${upstream}`));
    const from = link.ip ?? link.address ?? "";
    const ours = parsePppol2tp(await ctx.on("router", "cat /proc/net/pppol2tp")).find(
      (s) => s.ifname === ctx.wanIfname,
    );
    if (ours === undefined) return { pass: false, detail: `no L2TP session on the router carries ${ctx.wanIfname}` };
    if (ours.mode !== "LAC" || ours.local !== from)
      return {
        pass: false,
        detail: `${ctx.wanIfname}'s tunnel is a ${ours.mode} from ${ours.local}, not a LAC over ${upstream}'s ${from}`,
      };
    // the ISP's LNS end: a session from its WAN address whose PPP link has the router's address as peer
    const theirs = parsePppol2tp(await ctx.on("isp", "cat /proc/net/pppol2tp")).filter(
      (s) => s.mode === "LNS" && s.local === ispWan.v4 && s.ifname !== null,
    );
    let ispIfname: string | null = null;
    for (const s of theirs) {
      const held = parseIpAddresses(await ctx.on("isp", `ip -4 address show dev ${s.ifname}`));
      if (held.some((h) => h.peer === ctx.wanAddress)) ispIfname = s.ifname;
    }
    const tunnel = `${ctx.wanIfname} ${ctx.wanAddress} over a tunnel from ${from} (${upstream}) to the ISP's LNS ${ispWan.v4}:${ours.port}`;
    if (ispIfname === null)
      return { pass: false, detail: `${tunnel}, but no LNS session of the ISP has ${ctx.wanAddress} as its peer` };
    return { pass: true, detail: `${tunnel}, its session the ISP's ${ispIfname} with peer ${ctx.wanAddress}` };
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
  notApplicable: (t) => accessPoint(t, "the main router answers the LAN's DNS"),
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
  notApplicable: (t) => accessPoint(t, "it bridges, neither routing nor translating"),
  async run(ctx) {
    if (!ctx.lease) return { pass: false, detail: "the client has no lease (see lan.dhcp4)" };
    const seen = await whoami(ctx);
    const wan = ctx.wanAddress;
    if (wan === null) return { pass: false, detail: "the router has no WAN address (see wan.up)" };
    if (seen === null) return { pass: false, detail: `no answer from ${internet.www.v4}${whoamiPath}` };
    if (seen !== wan) return { pass: false, detail: `the ISP saw ${seen}, not the router's WAN address ${wan}` };
    return { pass: true, detail: `the ISP's web server saw the router's WAN address ${wan}` };
  },
};

/** The ISP's web server's view of the client's source address, through the router. */
async function whoami(ctx: LabContext, host = internet.www.v4): Promise<string | null> {
  const url = `http://${host}${whoamiPath}`;
  // (Debian's busybox wget crashes with -q or -T: its answer goes to a file, read last)
  return parseWhoami(
    await ctx.on("client", `rm -f /tmp/whoami; timeout 30 wget -O /tmp/whoami ${url} 2>&1; cat /tmp/whoami`),
  );
}

/** Why the topology has no IPv6 by prefix delegation to check, or null. */
function noIpv6(t: Topology): string | null {
  if (t.kind === "wap") return accessPoint(t, "IPv6 is the main router's, by SLAAC through its bridge");
  if (t.ipv6.client === null) return "no dhcp6c.client on the WAN";
  if (t.ipv6.prefix === null) return `no dhcp6c.prefix puts ${t.ipv6.client}'s delegated prefix on the LAN`;
  return null;
}

const ipv6: Check = {
  name: "ipv6",
  notApplicable: noIpv6,
  async run(ctx) {
    const svc = ctx.topology.ipv6.client!;
    const prefix = ctx.topology.ipv6.prefix!;
    const pool = `${ispWan.delegated.prefix}/${ispWan.delegated.length}`;
    const state = await waitReady(ctx, svc, 90_000);
    if (!state?.ready) {
      await ctx.on("router", `svc log ${svc} | tail -n 20`);
      return { pass: false, detail: `${svc} has no lease within 90 s` };
    }
    const delegated = (parseOutputs(await ctx.on("router", `svc outputs ${svc}`)).prefixes ?? "").split(" ")[0];
    if (!inPrefix6(delegated.split("/")[0], pool))
      return { pass: false, detail: `${svc}'s delegated prefix is "${delegated}", not one of the ISP's ${pool}` };
    // as a real ISP does, it routes the delegation to the router (its DHCPv6 server's lease event)
    if (!/ via /.test(await ctx.on("isp", `ip -6 route show ${delegated}`)))
      return { pass: false, detail: `${svc} got ${delegated}, but the ISP has no route for it` };
    const lan = parseSvcStatus(await ctx.on("router", `svc status ${prefix}`))[prefix];
    if (lan?.state !== "up") return { pass: false, detail: `${prefix} is ${lan?.state ?? "unknown"}, not up` };
    // SLAAC from dnsmasq's router advertisements: the client waits for the next one
    let address: string | undefined;
    for (const deadline = Date.now() + 60_000; ; await sleep(3000)) {
      // a tentative address (duplicate detection still running) is no source to connect from
      const shown = await ctx.on("client", "ip -6 address show dev eth0 scope global");
      address = /tentative/.test(shown)
        ? undefined
        : parseIpAddresses(shown)
            .map((a) => a.address)
            .find((a) => inPrefix6(a, delegated));
      if (address !== undefined || Date.now() > deadline) break;
      ctx.evidence.pop();
    }
    if (address === undefined) {
      await ctx.on("client", "ip -6 route");
      return { pass: false, detail: `the client has no address in ${delegated} within 60 s` };
    }
    ctx.clientV6 = address;
    const seen = await whoami(ctx, `[${internet.www.v6}]`);
    const got = `${svc} got ${delegated}; the client took ${address} by SLAAC`;
    if (seen === null) return { pass: false, detail: `${got}; no answer from [${internet.www.v6}]${whoamiPath}` };
    if (ipv6Of(seen) !== ipv6Of(address)) return { pass: false, detail: `${got}; the ISP saw ${seen}, not the client` };
    return { pass: true, detail: `${got}; the ISP's web server saw it as the source` };
  },
};

const ntp: Check = {
  name: "ntp",
  notApplicable: (t) => (t.ntp === null ? "no ntp service" : null),
  async run(ctx) {
    const { service, allow } = ctx.topology.ntp!;
    const { lan } = ctx.topology;
    // ready only once chrony is synchronised: its first source has to be resolved and polled
    const state = await waitReady(ctx, service, 120_000);
    if (!state?.ready) {
      await ctx.on("router", "chronyc -h 127.0.0.1 -n sources; chronyc -h 127.0.0.1 -n tracking");
      return { pass: false, detail: `${service} is not ready (not synchronised) within 120 s` };
    }
    const tracking = parseTracking(await ctx.on("router", "chronyc -h 127.0.0.1 -n tracking"));
    const synced = `${service} synchronised to ${tracking.reference} at stratum ${tracking.stratum}`;
    if (tracking.stratum !== 2) return { pass: false, detail: `${synced}, not to the ISP's stratum 1` };
    if (allow.length === 0) return { pass: true, detail: `${synced}; it serves no one` };
    if (!ctx.lease) return { pass: false, detail: `${synced}; the client has no lease (see lan.dhcp4)` };
    // a real NTP exchange from the LAN: chronyd -Q asks, prints the offset and leaves the clock alone.
    // Just synchronised, the router's clock may claim tens of seconds of root dispersion (its
    // frequency still unknown): more than chronyd takes by default, but an answer all the same
    const offset = parseClockOffset(
      await ctx.on(
        "client",
        `timeout 30 chronyd -Q -u root 'server ${lan.address} iburst maxsamples 1' 'maxdistance 1000' 2>&1`,
        40_000,
      ),
    );
    if (offset === null) return { pass: false, detail: `${synced}; no answer to the client from ${lan.address}` };
    return { pass: true, detail: `${synced}; it answered the client at ${lan.address} (offset ${offset} s)` };
  },
};

/** From the ISP, a new TCP connection to `address`:`port`, as parseConnect sees it. */
async function connectFromIsp(ctx: LabContext, address: string, port: number) {
  // one line for the answer: the console echoes a long command line wrapped, and a server's
  // greeting may be binary
  return parseConnect(
    await ctx.on(
      "isp",
      `timeout 5 nc ${address} ${port} </dev/null >/tmp/nc 2>&1; echo "nc rc=$? $(head -c 60 /tmp/nc | tr -cd 'A-Za-z0-9 ._-')"`,
    ),
  );
}

/**
 * From the ISP, one UDP datagram to `address`:`port`, as parseUdpProbe sees it. busybox traceroute
 * sends its first probe to the base port + 1.
 */
async function udpFromIsp(ctx: LabContext, address: string, port: number) {
  return parseUdpProbe(await ctx.on("isp", `traceroute -n -m 1 -q 1 -w 3 -p ${port - 1} ${address} 2>&1`), address);
}

/** Ports nothing on the router opens to the WAN: refused (TCP) or answered (UDP) if the firewall let them through. */
const closedPort = { tcp: 23, udp: 9 };

/** The router's global IPv6 address on its WAN interface, or null. */
async function routerWan6(ctx: LabContext): Promise<string | null> {
  if (ctx.wanIfname === null) return null;
  const shown = await ctx.on("router", `ip -6 address show dev ${ctx.wanIfname} scope global`);
  return (
    parseIpAddresses(shown)
      .map((a) => a.address)
      .find((a) => inPrefix6(a, ispWan.links6)) ?? null
  );
}

const fwInbound: Check = {
  name: "fw.inbound",
  notApplicable: (t) => (t.nat.length === 0 ? "no firewall with a wan zone" : null),
  async run(ctx) {
    const wan = ctx.wanAddress;
    if (wan === null) return { pass: false, detail: "the router has no WAN address (see wan.up)" };
    const wrong: string[] = [];
    const found: string[] = [];
    const expect = (what: string, seen: string | null, wanted: string) =>
      (seen === wanted ? found : wrong).push(`${what} ${seen ?? "unclear"}`);
    // a range's first port stands for it
    const opened = (protocol: "tcp" | "udp") =>
      ctx.topology.openToWan
        .filter((o) => o.protocol === protocol)
        .flatMap((o) => o.ports)
        .map((p) => Number(String(p).split("-")[0]));
    const v6 = noIpv6(ctx.topology) === null ? await routerWan6(ctx) : null;
    if (noIpv6(ctx.topology) === null && v6 === null) wrong.push("router has no IPv6 address on the WAN");
    for (const address of v6 === null ? [wan] : [wan, v6]) {
      for (const port of opened("tcp"))
        expect(`router ${address} tcp ${port} (opened)`, await connectFromIsp(ctx, address, port), "open");
      expect(`router ${address} tcp ${closedPort.tcp}`, await connectFromIsp(ctx, address, closedPort.tcp), "dropped");
    }
    // a datagram to a port with no listener proves it passed by the router's port unreachable; one
    // with a listener may be taken in silence, which tells nothing from outside
    const listening = parseUdpListeners(await ctx.on("router", "cat /proc/net/udp /proc/net/udp6"));
    for (const port of opened("udp")) {
      if (listening.includes(port)) found.push(`router udp ${port} (opened) has a listener: not probed`);
      else expect(`router ${wan} udp ${port} (opened)`, await udpFromIsp(ctx, wan, port), "reached");
    }
    if (listening.includes(closedPort.udp)) wrong.push(`router udp ${closedPort.udp} has a listener: not probed`);
    else expect(`router ${wan} udp ${closedPort.udp}`, await udpFromIsp(ctx, wan, closedPort.udp), "dropped");
    if (ctx.lease) {
      // the ISP routes the client's address to the router, as a peer on the internet could try
      const client = ctx.lease.ip;
      await ctx.on("isp", `ip route replace ${client}/32 via ${wan}`);
      const seen = await connectFromIsp(ctx, client, 80);
      await ctx.on("isp", `ip route del ${client}/32 via ${wan}`);
      expect(`LAN client ${client} tcp 80`, seen, "dropped");
    } else wrong.push("no LAN client to try (see lan.dhcp4)");
    // the delegated prefix is routed to the router: any peer on the internet could try
    if (noIpv6(ctx.topology) === null) {
      const client = ctx.clientV6;
      if (client === null) wrong.push("no IPv6 LAN client to try (see ipv6)");
      else expect(`LAN client ${client} tcp 80`, await connectFromIsp(ctx, client, 80), "dropped");
    }
    if (wrong.length > 0) return { pass: false, detail: `from the ISP: ${[...wrong, ...found].join(", ")}` };
    return { pass: true, detail: `from the ISP: ${found.join(", ")}` };
  },
};

/**
 * A session WAN's: what the ISP kills to drop every session without a word, and the router's log
 * line counting the sessions it set up (null: a DHCP WAN, no session).
 */
const sessionKinds: Record<WanKind, { servers: string; sessionLine: string } | null> = {
  dhcp: null,
  pppoe: { servers: "pppoe-server pppoe pppd", sessionLine: "PPP session is" },
  l2tp: { servers: "xl2tpd pppd", sessionLine: "local  IP address" },
};

const wanReconnect: Check = {
  name: "wan.reconnect",
  notApplicable: (t) =>
    t.wan === null
      ? "no WAN"
      : sessionKinds[t.wan.kind] === null
        ? `a ${t.wan.kind} WAN: no session to drop`
        : t.wan.lcpEcho === null
          ? `${t.wan.service} sends no LCP echoes`
          : null,
  async run(ctx) {
    const { service: svc, lcpEcho, kind } = ctx.topology.wan!;
    const { servers, sessionLine } = sessionKinds[kind]!;
    const fw = ctx.topology.nat[0];
    const before = parseSvcStatus(await ctx.on("router", `svc status ${fw}`))[fw]?.since ?? null;
    const sessions = async () => (await ctx.on("router", `svc log ${svc} | grep -c '${sessionLine}'`)).trim();
    const first = await sessions();
    // the ISP loses every session at once, saying nothing (no PADT, no CDN, no LCP terminate):
    // only the router's LCP echoes can notice; s6 starts the ISP's server again at once
    const dropped = Date.now();
    await ctx.on("isp", `kill -9 $(pidof ${servers})`);
    const limit = (lcpEcho!.interval * lcpEcho!.failure + 60) * 1000;
    let outputs: Record<string, string> = {};
    for (;;) {
      await sleep(3000);
      const now = await sessions();
      ctx.evidence.pop();
      if (now !== first) {
        outputs = parseOutputs(await ctx.on("router", `svc outputs ${svc}`));
        if (outputs.address) break;
        ctx.evidence.pop();
      }
      if (Date.now() - dropped > limit) break;
    }
    const took = (Date.now() - dropped) / 1000;
    await ctx.on("router", `svc log ${svc} | grep -E 'echo|session|terminated|IP address' | tail -n 8`);
    if (!outputs.address)
      return { pass: false, detail: `${svc} had no new session ${limit / 1000} s after the ISP dropped it` };
    ctx.times["wan.reconnect"] = took;
    ctx.wanAddress = outputs.address;
    const ifname = outputs.ifname || "ppp0";
    const set = await ctx.on("router", "nft list set inet limen wan");
    const after = parseSvcStatus(await ctx.on("router", `svc status ${fw}`))[fw]?.since ?? null;
    const seen = ctx.lease ? await whoami(ctx) : null;
    const again = `${svc} back with ${outputs.address} ${took.toFixed(0)} s after the ISP dropped it`;
    if (!set.includes(`"${ifname}"`)) return { pass: false, detail: `${again}; ${ifname} is not in the wan zone` };
    if (before === null || after !== before)
      return { pass: false, detail: `${again}; ${fw} was reloaded (since ${before} → ${after})` };
    if (seen !== outputs.address)
      return {
        pass: false,
        detail: `${again}; the ISP saw the client as ${seen ?? "nothing"}, not ${outputs.address}`,
      };
    return {
      pass: true,
      detail: `${again} (LCP echo ${lcpEcho!.interval} s × ${lcpEcho!.failure}); ${ifname} still in the wan zone, ruleset not reloaded, NAT follows`,
    };
  },
};

const sshLogin: Check = {
  name: "ssh",
  notApplicable: (t) =>
    accessPoint(t, "its address is on its management VLAN, not on the LAN the client is on (see vlan)") ??
    (t.ssh === null
      ? "no ssh service"
      : t.ssh.keyUser === null
        ? `${t.ssh.service} takes no user's keys from run.sh --authorized-key: the lab has no key it accepts`
        : null),
  async run(ctx) {
    const { port, keyUser, passwordRefused } = ctx.topology.ssh!;
    const { lan } = ctx.topology;
    if (!ctx.lease) return { pass: false, detail: "the client has no lease (see lan.dhcp4)" };
    const to = `-y -p ${port} ${keyUser}@${lan.address}`;
    // an interactive login shell on a pty: the client's console is its terminal, typed into once
    // the remote prompt shows
    const session = parseSshSession(
      await ctx.converse(
        "client",
        `dbclient -t -i ${clientKey} ${to}`,
        // busybox's line editor asks the terminal where its cursor is after the prompt
        new RegExp(`[#$] (?:${String.fromCharCode(27)}\\[6n)?$`),
        ["ls -l /proc/$$/fd/0", 'echo "flags $-"', "exit"],
        90_000,
      ),
    );
    const login = `${keyUser}@${lan.address} by key`;
    if (session.tty === null || session.flags === null)
      return { pass: false, detail: `${login}: no shell answered on a terminal` };
    if (!session.flags.includes("i") || !session.flags.includes("m"))
      return {
        pass: false,
        detail: `${login}: the shell (flags ${session.flags}) is not interactive with job control`,
      };
    const shell = `${login}: an interactive shell with job control on ${session.tty}`;
    if (!passwordRefused) return { pass: true, detail: `${shell}; password login allowed by the configuration` };
    // the lab's PPP password as any password: the server must not even offer the method
    const why = parseDbclientExit(
      await ctx.on(
        "client",
        `DROPBEAR_PASSWORD=${ispPppoe.password} timeout 60 dbclient ${to} true </dev/null 2>&1`,
        70_000,
      ),
    );
    if (why !== "No auth methods could be used.")
      return { pass: false, detail: `${shell}; by password: ${why ?? "no refusal"} (expected no method offered)` };
    return { pass: true, detail: `${shell}; password login not offered` };
  },
};

/** What forwarding and the ruleset look like, a sample a line: "v4 v6 table" (1 forwarding / loaded, else 0). */
const sample = [
  "echo $(cat /proc/sys/net/ipv4/conf/all/forwarding) $(cat /proc/sys/net/ipv6/conf/all/forwarding)",
  "$(nft list table inet limen >/dev/null 2>&1 && echo 1 || echo 0)",
].join(" ");

const fwClosed: Check = {
  name: "fw.closed",
  notApplicable: (t) =>
    t.nat.length === 0
      ? "no firewall with a wan zone"
      : t.forwarding.length === 0
        ? "nothing turns forwarding on"
        : null,
  async run(ctx) {
    const { forwarding, stores } = ctx.topology;
    const wan = ctx.topology.wan!;
    const fw = ctx.topology.nat[0];
    // 1. forwarding and the WAN need the ruleset: the router's own dependency graph says so
    for (const svc of [...forwarding, wan.service]) {
      const deps = (await ctx.on("router", `svc deps --all ${svc}`)).split(/\s+/);
      if (!deps.includes(fw)) return { pass: false, detail: `${svc} does not need ${fw}: it may start before it` };
    }
    // 2. restarting the WAN and the secrets it reads: sampled all along, forwarding never goes
    // without the ruleset
    await ctx.on("router", `(while :; do ${sample}; done > /tmp/fw-samples 2>&1) & echo $! > /tmp/fw-sampler`);
    for (const svc of [wan.service, ...stores.map((s) => s.service)]) {
      await ctx.on("router", `svc restart ${svc}`, 120_000);
      if (!(await waitReady(ctx, wan.service, 120_000))?.ready)
        return { pass: false, detail: `${wan.service} is not ready again after svc restart ${svc}` };
    }
    const window = parseForwardingSamples(
      await ctx.on("router", "kill $(cat /tmp/fw-sampler); sleep 1; busybox sort /tmp/fw-samples | busybox uniq -c"),
    );
    const restarts = [wan.service, ...stores.map((s) => s.service)].join(" and ");
    // a DHCP WAN is back within seconds, and each sample runs nft: a few are all there is time for
    if (window.samples < 5)
      return { pass: false, detail: `only ${window.samples} samples while restarting ${restarts}` };
    if (window.open > 0)
      return { pass: false, detail: `${window.open} of ${window.samples} samples forwarded with no ruleset` };
    // 3. a ruleset that fails to load: nothing that needs it starts, forwarding stays off
    const file = rulesetFile(fw);
    await ctx.on("router", `svc stop ${fw}`, 120_000);
    await ctx.on(
      "router",
      `echo 'table inet limen { not a ruleset }' > /tmp/broken.nft && busybox mount -o bind /tmp/broken.nft ${file}`,
    );
    const boot = await ctx.on("router", "svc boot; echo svc boot rc=$?", 180_000);
    const broken = (await ctx.on("router", sample)).trim();
    const wanState = parseSvstat(await ctx.on("router", `s6-svstat /run/service/${wan.service}`));
    await ctx.on("router", `busybox umount ${file}`);
    const failed = /svc boot rc=[1-9]/.test(boot);
    // what does not need the ruleset may fail on its own: the ruleset and what needs it must come back
    await ctx.on("router", "svc boot", 180_000);
    const fwUp = parseSvcStatus(await ctx.on("router", `svc status ${fw}`))[fw]?.state === "up";
    const again = await waitReady(ctx, wan.service, 120_000);
    const after = (await ctx.on("router", sample)).trim();
    const closed = `${window.samples} samples while restarting ${restarts}, none forwarding without the ruleset`;
    if (!failed) return { pass: false, detail: `${closed}; svc boot with a broken ruleset did not fail` };
    if (broken !== "0 0 0")
      return { pass: false, detail: `${closed}; with the ruleset broken: forwarding v4 v6, table = ${broken}` };
    if (wanState?.up) return { pass: false, detail: `${closed}; with the ruleset broken ${wan.service} is up` };
    if (!fwUp || !again?.ready || !/^1 [01] 1$/.test(after))
      return {
        pass: false,
        detail: `${closed}; the ruleset repaired, not all back (forwarding v4 v6, table = ${after})`,
      };
    return {
      pass: true,
      detail: `${closed}; with the ruleset broken svc boot failed, ${wan.service} stayed down, forwarding off; all back once repaired`,
    };
  },
};

/** Polls `test` every second until it holds or `timeoutMs` passes; the seconds it took, or null. */
async function within(timeoutMs: number, test: () => Promise<boolean>): Promise<number | null> {
  const start = Date.now();
  for (;;) {
    if (await test()) return (Date.now() - start) / 1000;
    if (Date.now() - start > timeoutMs) return null;
    await sleep(1000);
  }
}

const bridgeUpdown: Check = {
  name: "bridge.updown",
  notApplicable: (t) => (t.bridge === null ? "the device's LAN port is in no bridge with its own ifwait" : null),
  async run(ctx) {
    const b = ctx.topology.bridge!;
    const { lan } = ctx.topology;
    if (!ctx.lease) return { pass: false, detail: "the client has no lease (see lan.dhcp4)" };
    const ports = async () => (await ctx.on("router", `ls /sys/class/net/${b.ifname}/brif`)).split(/\s+/);
    const before = parseSvcStatus(await ctx.on("router", "svc status"));
    // the cable out: QEMU's "lan" NIC of the router loses its carrier
    await ctx.monitor("router", "set_link lan off");
    const left = await within(30_000, async () => !(await ports()).includes(b.port.ifname));
    const joinDown = parseSvcStatus(await ctx.on("router", `svc status ${b.port.join}`))[b.port.join]?.state;
    await ctx.monitor("router", "set_link lan on");
    const rejoined = await within(30_000, async () => (await ports()).includes(b.port.ifname));
    const reached = await within(30_000, async () =>
      /1 packets received/.test(await ctx.on("client", `ping -c 1 -W 2 ${lan.address}`)),
    );
    const seen = await whoami(ctx);
    const after = parseSvcStatus(await ctx.on("router", "svc status"));
    // the port's join is the controller's to restart; nothing else may have been
    const restarted = Object.entries(before)
      .filter(([name, s]) => name !== b.port.join && s.state === "up" && after[name]?.since !== s.since)
      .map(([name]) => name);
    const port = `${b.port.ifname} (${b.port.service})`;
    if (left === null) return { pass: false, detail: `${port} stayed in ${b.ifname} with its link down` };
    if (joinDown !== "down")
      return { pass: false, detail: `${port} left ${b.ifname} but ${b.port.join} is ${joinDown ?? "unknown"}` };
    if (rejoined === null) return { pass: false, detail: `${port} did not rejoin ${b.ifname} within 30 s` };
    if (reached === null) return { pass: false, detail: `${port} rejoined; the client cannot reach ${lan.address}` };
    // behind an access point the ISP, as the main router, sees the client itself
    const expected = ctx.topology.kind === "wap" ? ctx.lease.ip : ctx.wanAddress;
    if (seen !== expected)
      return { pass: false, detail: `${port} rejoined; through it the ISP saw ${seen ?? "nothing"}` };
    if (restarted.length > 0) return { pass: false, detail: `${port} rejoined, but ${restarted.join(", ")} restarted` };
    ctx.times["bridge rejoin"] = rejoined;
    return {
      pass: true,
      detail: `${port} left ${b.ifname} ${left.toFixed(0)} s after its link went down (${b.port.join} down) and rejoined ${rejoined.toFixed(0)} s after it came back; the client reached ${lan.address} and the ISP, no other service restarted`,
    };
  },
};

const wifiAp: Check = {
  name: "wifi.ap",
  notApplicable: (t) => (t.wifi.length === 0 ? "no access point (hostapd)" : null),
  async run(ctx) {
    const found: string[] = [];
    const wrong: string[] = [];
    for (const ap of ctx.topology.wifi) {
      const state = await waitReady(ctx, ap.service, 60_000);
      const status = parseHostapdStatus(await ctx.on("router", `hostapd_cli -p /run/hostapd -i ${ap.ifname} status`));
      const enabled = await ctx.on("router", `svc log ${ap.service} | busybox grep AP-ENABLED | tail -n 1`);
      const ssid = ctx.valueOf(ap.ssid);
      const seen = `${ap.ifname} ${status.state ?? "no state"} "${status["ssid[0]"] ?? ""}" channel ${status.channel ?? "?"}`;
      if (!state?.ready) wrong.push(`${ap.service} not ready`);
      else if (status.state !== "ENABLED" || !/AP-ENABLED/.test(enabled)) wrong.push(`${seen}, no AP-ENABLED`);
      else if (ssid !== null && status["ssid[0]"] !== ssid) wrong.push(`${seen}, not the configured "${ssid}"`);
      else if (ap.channel !== 0 && status.channel !== String(ap.channel))
        wrong.push(`${seen}, not the configured channel ${ap.channel}`);
      else found.push(`${seen} AP-ENABLED`);
    }
    if (wrong.length > 0) return { pass: false, detail: [...wrong, ...found].join("; ") };
    return { pass: true, detail: found.join("; ") };
  },
};

/** The access point the lab's station joins: the first whose WPA passphrase the lab knows (literal, or a store's). */
function stationTarget(t: Topology): AccessPoint | string {
  const wpa = t.wifi.filter((ap) => ap.passphrase !== null);
  if (t.wifi.length === 0) return "no access point (hostapd)";
  if (wpa.length === 0) return "no access point with a WPA passphrase";
  const known = wpa.find(
    (ap) =>
      typeof ap.passphrase === "string" ||
      t.stores.some((s) => typeof ap.passphrase !== "string" && s.service === ap.passphrase?.service),
  );
  return (
    known ??
    `the passphrases come from ${wpa.map((ap) => JSON.stringify(ap.passphrase)).join(", ")}, which the lab does not provide`
  );
}

const wifiSta: Check = {
  name: "wifi.sta",
  notApplicable: (t) => {
    const target = stationTarget(t);
    return typeof target === "string" ? target : null;
  },
  async run(ctx) {
    const ap = stationTarget(ctx.topology) as AccessPoint;
    const ssid = ctx.valueOf(ap.ssid);
    const passphrase = ctx.valueOf(ap.passphrase!);
    if (ssid === null || passphrase === null)
      return { pass: false, detail: `the lab has no value for ${ap.service}'s SSID or passphrase` };
    // the spare radio: one no access point runs on
    const radios = parseRadios(await ctx.on("router", listRadios));
    const spare = radios.find((r) => !ctx.topology.wifi.some((a) => a.ifname === r.ifname));
    if (spare === undefined)
      return {
        pass: false,
        detail: `no spare radio for the station: ${radios.map((r) => r.ifname).join(", ") || "none"}`,
      };
    const frequency = channelFrequency(ap.hwMode, ap.channel);
    try {
      // an access point's links are point-to-point, which hand nothing back (see station.ts)
      if (
        !/STA-READY/.test(
          await ctx.on("router", stationSetup(spare.phy, spare.ifname, ap.ifname, ctx.topology.kind === "router")),
        )
      )
        return { pass: false, detail: `could not move ${spare.phy} (${spare.ifname}) into a network namespace` };
      const joined = await ctx.on("router", associate(spare.ifname, ssid, passphrase, frequency), 150_000);
      const times = parseStationTimes(joined);
      const lease = parseLease(joined);
      const { lan } = ctx.topology;
      if (times?.associated == null) {
        await ctx.on("router", `busybox tail -n 15 /tmp/lab-sta.log`);
        return { pass: false, detail: `${spare.ifname} did not associate with "${ssid}" within 60 s` };
      }
      const associated = `${spare.ifname} (${spare.phy}, own namespace) associated with "${ssid}" on ${ap.ifname} in ${(times.associated - times.start).toFixed(1)} s`;
      ctx.times["wifi.sta association"] = times.associated - times.start;
      if (lease === null || times.leased === null) return { pass: false, detail: `${associated}; no lease` };
      ctx.times["wifi.sta association to lease"] = times.leased - times.associated;
      if (!lan.ranges.some(([f, l]) => inRange(lease.ip, f, l)) || lease.router !== lan.address)
        return {
          pass: false,
          detail: `${associated}; lease ${lease.ip} router ${lease.router}, not from ${lan.service}`,
        };
      const leased = `${associated}; lease ${lease.ip}/${lease.mask} from ${lan.service} ${(times.leased - times.associated).toFixed(1)} s later`;
      const seen = parseWhoami(await ctx.on("router", stationFetch(`http://${internet.www.v4}${whoamiPath}`)));
      // through a router's NAT as its WAN address; behind an access point, as itself
      const expected = ctx.topology.kind === "wap" ? lease.ip : ctx.wanAddress;
      if (expected === null || seen !== expected)
        return {
          pass: false,
          detail: `${leased}; the ISP saw ${seen ?? "nothing"}, not ${ctx.topology.kind === "wap" ? "the station's own address" : "the router's WAN address"} ${expected ?? "(none, see wan.up)"}`,
        };
      // the same station with a passphrase that is not the network's
      const wrong = passphrase === "not-the-passphrase" ? "still-not-the-passphrase" : "not-the-passphrase";
      const refused = /STA-WRONG (\w+)/.exec(
        await ctx.on("router", associateRefused(spare.ifname, ssid, wrong, frequency), 90_000),
      )?.[1];
      if (refused !== "refused")
        return { pass: false, detail: `${leased}; with a wrong passphrase: ${refused ?? "no answer"}, not refused` };
      const through = ctx.topology.kind === "wap" ? "reached the ISP as itself" : `NAT to the ISP as ${seen}`;
      return { pass: true, detail: `${leased}; ${through}; a wrong passphrase refused` };
    } finally {
      await ctx.on("router", stationTeardown, 30_000);
    }
  },
};

/**
 * An access point's management VLAN: the access point leases its own address there from the main
 * router and holds none on the untagged LAN; a client behind its bridge that tags its frames gets
 * a lease on the VLAN and reaches it, and untagged cannot (the main router routes nothing between
 * the two).
 */
const vlan: Check = {
  name: "vlan",
  notApplicable: (t) => {
    const m = t.wap?.management;
    if (!m) return "no management VLAN";
    if (m.vid !== ispManagement.vid)
      return `the lab's main router serves the management VLAN with id ${ispManagement.vid}, not ${m.vid}`;
    return m.dhcp === null ? `no DHCP client on ${m.ifname}` : null;
  },
  async run(ctx) {
    const m = ctx.topology.wap!.management!;
    const dhcp = m.dhcp!;
    const [first, last] = ispManagement.dhcpRange;
    if (!(await waitReady(ctx, dhcp, 90_000))?.ready)
      return { pass: false, detail: `${dhcp} has no lease within 90 s` };
    const own = parseOutputs(await ctx.on("router", `svc outputs ${dhcp}`)).ip ?? "";
    if (!inRange(own, first, last))
      return { pass: false, detail: `${dhcp} leased ${own}, not one of the main router's ${first}–${last}` };
    const bridge = ctx.topology.bridge?.ifname;
    const untagged = bridge
      ? parseIpAddresses(await ctx.on("router", `ip -4 address show dev ${bridge}`)).map((a) => a.address)
      : [];
    const leased = `${m.ifname} (VLAN ${m.vid}) leased ${own} from the main router`;
    if (untagged.length > 0)
      return { pass: false, detail: `${leased}, but ${bridge} holds ${untagged.join(" ")} on the untagged LAN` };
    // the LAN client tags its frames: behind the access point's bridge, on the management VLAN
    const tagged = `eth0.${m.vid}`;
    await ctx.on("client", `ip link add link eth0 name ${tagged} type vlan id ${m.vid} && ip link set ${tagged} up`);
    const lease = parseLease(await ctx.on("client", `udhcpc -i ${tagged} -n -q -t 10 -T 3 -s /bin/lease`, 90_000));
    const reached = /1 packets received/.test(await ctx.on("client", `ping -c 1 -W 3 ${own}`));
    // untagged again (the VLAN's interface and its default route gone, the LAN's lease renewed)
    await ctx.on("client", `ip link del ${tagged}`);
    const back = parseLease(await ctx.on("client", udhcpc, 90_000));
    if (back) ctx.lease = back;
    const isolated = /0 packets received/.test(await ctx.on("client", `ping -c 2 -W 2 ${own}`));
    await ctx.on("isp", "cat /proc/sys/net/ipv4/ip_forward");
    if (!lease) return { pass: false, detail: `${leased}; the client tagging VLAN ${m.vid} got no lease` };
    const client = `the client tagging VLAN ${m.vid} got ${lease.ip}/${lease.mask}`;
    if (!inRange(lease.ip, first, last) || lease.router !== ispManagement.v4)
      return { pass: false, detail: `${leased}; ${client} router ${lease.router}, not the management network's` };
    if (!reached) return { pass: false, detail: `${leased}; ${client} and could not reach ${own}` };
    if (!back) return { pass: false, detail: `${leased}; ${client}; untagged again, it got no lease on the LAN` };
    if (!isolated) return { pass: false, detail: `${leased}; ${client}; untagged, it reached ${own} all the same` };
    return {
      pass: true,
      detail: `${leased}, no address on the untagged ${bridge}; ${client} router ${lease.router} and reached ${own}; untagged (${back.ip}) it could not: not routed between them`,
    };
  },
};

/** Every check, in the order they run (later ones use what earlier ones learned; those that take the WAN down last). */
export const checks: Check[] = [
  wanUp,
  wanL2tp,
  lanDhcp4,
  lanDns,
  nat4,
  ipv6,
  ntp,
  bridgeUpdown,
  vlan,
  sshLogin,
  // after ntp: the minute they take would add to the router's root dispersion ntp's client sees
  wifiAp,
  wifiSta,
  fwInbound,
  wanReconnect,
  // last: it stops the WAN and the ruleset
  fwClosed,
];
