// What the lab learns from a compiled system description: the router's WAN (which service brings
// it up, and how), its LAN (address, DHCP ranges, fixed hosts, domain), its secrets stores, whether
// its console has a login, and the rest the checks ask about. Read from each service's templates
// and their checked parameters, never its scripts. A wireless access point (the wap profile) has
// no WAN: its uplink (the device's wan port, on the ISP's segment) is in its bridge, and its LAN is
// the main router's, which the ISP plays.
import { z } from "zod";
import type { SystemDescription } from "../config/compile.ts";
import { ispWan } from "./plan.ts";
import { storeParams, type StoreParams } from "./store.ts";

export type WanKind = "dhcp" | "pppoe" | "l2tp";

export interface Topology {
  hostname: string;
  /** A router with a WAN of its own, or an access point (wap) bridged to the main router's LAN. */
  kind: "router" | "wap";
  /** null for an access point. */
  wan: {
    kind: WanKind;
    service: string;
    /** A PPP session's LCP echoes, which notice a dead session (null: none, or a DHCP WAN). */
    lcpEcho: { interval: number; failure: number } | null;
    /** L2TP's upstream: the service bringing up the link on the WAN port the tunnel runs over. */
    upstream: string | null;
  } | null;
  /** An access point's LAN is the main router's (the ISP's segment, bridged through it). */
  lan: {
    /** The dnsmasq service serving it (or, behind an access point, "the main router"). */
    service: string;
    address: string;
    prefixLength: number;
    /** IPv4 DHCP ranges, first and last address. */
    ranges: [string, string][];
    /** Fixed leases with an IPv4 address, by host name. */
    hosts: { name: string; mac: string; v4: string }[];
    domain: string | null;
  };
  /** Firewall services with a "wan" zone (masquerading out of it). */
  nat: string[];
  /** Services that turn IP forwarding on. */
  forwarding: string[];
  /** Router ports the firewalls open to their "wan" zone. */
  openToWan: { protocol: "tcp" | "udp"; ports: (number | string)[] }[];
  /**
   * IPv6 by prefix delegation: the WAN's DHCPv6 client and the service putting an address of the
   * delegated prefix on the LAN's interface (null where either is missing).
   */
  ipv6: { client: string | null; prefix: string | null };
  /** The NTP service and the subnets it serves time to, if the router runs one. */
  ntp: { service: string; allow: string[] } | null;
  /** Secrets stores the lab makes disks for, by service. */
  stores: { service: string; params: StoreParams }[];
  /**
   * The SSH server: its port, the user whose keys may come from run.sh --authorized-key (the lab
   * gives it a key of its own that way; null: no user's do), and whether that user's password
   * login is refused.
   */
  ssh: { service: string; port: number; keyUser: string | null; passwordRefused: boolean } | null;
  /** Whether a getty offers a login on the serial console (else the lab brings its own shell). */
  consoleLogin: boolean;
  /**
   * The bridge holding the device's wired LAN port (the lab's LAN segment): its members service,
   * its interface, and the port's link service, interface and the service that joins it (null
   * when the LAN port is in no bridge).
   */
  bridge: { service: string; ifname: string; port: { service: string; ifname: string; join: string } } | null;
  /**
   * An access point's own DHCP client (on its bridge, or on its management VLAN) and the
   * management VLAN: its id, interface and the client on it (null: none).
   */
  wap: {
    service: string;
    dhcp: string | null;
    management: { vid: number; ifname: string; dhcp: string | null } | null;
  } | null;
  /** The access points (hostapd services), in the order of their services' names. */
  wifi: AccessPoint[];
}

/** A value of a configuration: a literal, or an output of a service (a secrets store's key). */
export type Value = string | { service: string; path: string };

export interface AccessPoint {
  service: string;
  /** The radio's interface (its link's ifname). */
  ifname: string;
  ssid: Value;
  hwMode: string;
  channel: number;
  /** WPA's passphrase, where it has one (a WPA-PSK network). */
  passphrase: Value | null;
}

/** A configuration the lab cannot run: what is missing and in which file. */
export class TopologyError extends Error {}

const addressParams = z.object({
  interface: z.string(),
  family: z.string(),
  address: z.string(),
  prefixLength: z.number(),
});
const dnsmasqParams = z.object({
  interface: z.string(),
  ranges: z.array(z.string()),
  domain: z.string().nullable(),
  hosts: z.record(z.string(), z.object({ mac: z.string(), v4: z.string() })),
});
const interfaceParam = z.object({ interface: z.string() });
const lcpEcho = z.object({ interval: z.number(), failure: z.number() }).nullable();
const pppoeParams = z.object({ interface: z.string(), lcpEcho });
const l2tpParams = z.object({ upstream: z.string(), lcpEcho });
const firewallParams = z.object({
  zones: z.record(z.string(), z.array(z.string())),
  open: z.array(
    z.object({ zone: z.string(), protocol: z.enum(["tcp", "udp"]), ports: z.array(z.union([z.number(), z.string()])) }),
  ),
});
const dhcp6PrefixParams = z.object({ client: z.string(), interface: z.string() });
const ntpParams = z.object({ allow: z.array(z.string()) });
const gettyParams = z.object({ tty: z.string() });
const bridgeMembersParams = z.object({ primary: z.string(), members: z.array(z.string()) });
const ifnameParam = z.object({ ifname: z.string() });
const ifwaitParams = z.object({ interface: z.string(), service: z.string() });
const wapParams = z.object({
  ifname: z.string(),
  management: z.object({ vid: z.number(), ifname: z.string().optional() }).nullable(),
});
const vlanParams = z.object({ ifname: z.string(), primary: z.string(), vid: z.number() });
const sshParams = z.object({
  port: z.number(),
  allowRoot: z.boolean(),
  allowPasswordLogin: z.boolean(),
  allowPasswordLoginForRoot: z.boolean(),
  authorizedKeys: z.record(z.string(), z.object({ fromRunScript: z.boolean() })),
});

const value = z.union([z.string(), z.object({ service: z.string(), path: z.string() })]);
const hostapdParams = z.object({
  interface: z.string(),
  params: z.object({ ssid: value, hw_mode: z.string(), channel: z.number(), wpa_passphrase: value.optional() }),
});
const linkParams = z.object({ ifname: z.string() });

/** Services built by template `name`, with their parameters as `schema` reads them. */
function built<S extends z.ZodType>(system: SystemDescription, name: string, schema: S) {
  return Object.entries(system.services).flatMap(([service, origin]) =>
    origin.templates
      .filter((t) => t.name === name)
      .map((t) => ({ service, origin: origin.origin, params: schema.parse(t.params) })),
  );
}

/** The bridge the device's LAN port is a member of, as Topology's `bridge` says. */
function lanBridge(system: SystemDescription): Topology["bridge"] {
  const port = system.hardware.networkInterfaces.lan;
  const members = built(system, "bridge.members", bridgeMembersParams).find((b) => b.params.members.includes(port));
  if (port === undefined || members === undefined) return null;
  const ifnames = new Map(
    [...built(system, "network.link", ifnameParam), ...built(system, "bridge.primary", ifnameParam)].map((l) => [
      l.service,
      l.params.ifname,
    ]),
  );
  // the ifwait controller that keeps the port in the bridge while its link runs
  const join = built(system, "ifwait", ifwaitParams).find((w) => w.params.interface === port);
  const [bridge, link] = [ifnames.get(members.params.primary), ifnames.get(port)];
  if (bridge === undefined || link === undefined || join === undefined) return null;
  return {
    service: members.service,
    ifname: bridge,
    port: { service: port, ifname: link, join: join.params.service },
  };
}

const v4Range = /^(\d+\.\d+\.\d+\.\d+),(\d+\.\d+\.\d+\.\d+)(?:,|$)/;

/** An access point's own DHCP clients and management VLAN, as Topology's `wap` says (null: no wap). */
function accessPoint(system: SystemDescription): Topology["wap"] {
  const wap = built(system, "wap", wapParams).at(0);
  if (wap === undefined) return null;
  const bridge = built(system, "bridge.primary", ifnameParam).find((b) => b.params.ifname === wap.params.ifname);
  const dhcpOn = (svc: string | undefined) =>
    built(system, "network.dhcp.client", interfaceParam).find((c) => c.params.interface === svc)?.service ?? null;
  const m = wap.params.management;
  const vlan =
    m && built(system, "vlan", vlanParams).find((v) => v.params.primary === bridge?.service && v.params.vid === m.vid);
  return {
    service: wap.service,
    dhcp: dhcpOn(vlan ? vlan.service : bridge?.service),
    management: vlan ? { vid: vlan.params.vid, ifname: vlan.params.ifname, dhcp: dhcpOn(vlan.service) } : null,
  };
}

/** The parts of a Topology that do not depend on the router's role. */
function common(system: SystemDescription) {
  const ssh = built(system, "ssh", sshParams).at(0);
  const keyUser = ssh
    ? (Object.entries(ssh.params.authorizedKeys).find(
        ([user, a]) => a.fromRunScript && (user !== "root" || ssh.params.allowRoot),
      )?.[0] ?? null)
    : null;
  return {
    hostname: system.hostname,
    bridge: lanBridge(system),
    ssh: ssh
      ? {
          service: ssh.service,
          port: ssh.params.port,
          keyUser,
          passwordRefused:
            !ssh.params.allowPasswordLogin || (keyUser === "root" && !ssh.params.allowPasswordLoginForRoot),
        }
      : null,
    stores: built(system, "secrets.store", storeParams).map((s) => ({ service: s.service, params: s.params })),
    consoleLogin: built(system, "getty", gettyParams).some((g) => g.params.tty === "console"),
    wifi: accessPoints(system),
  };
}

export function topology(system: SystemDescription, config: string): Topology {
  const wap = accessPoint(system);
  if (wap !== null)
    return {
      ...common(system),
      kind: "wap",
      wap,
      wan: null,
      lan: {
        service: "the main router",
        address: ispWan.v4,
        prefixLength: ispWan.v4PrefixLength,
        ranges: [[ispWan.dhcpRange[0], ispWan.dhcpRange[1]]],
        hosts: [],
        domain: null,
      },
      nat: [],
      forwarding: [],
      openToWan: [],
      ipv6: { client: null, prefix: null },
      ntp: null,
    };
  const wanLink = system.hardware.networkInterfaces.wan;
  const addresses = new Map(built(system, "network.address", addressParams).map((a) => [a.service, a.params]));
  const dhcpClients = built(system, "network.dhcp.client", interfaceParam);
  // what puts an address on the WAN port, which an L2TP tunnel may run over
  const onWanLink = new Set([
    ...dhcpClients.filter((c) => c.params.interface === wanLink).map((c) => c.service),
    ...[...addresses].filter(([, a]) => a.interface === wanLink && a.family === "inet").map(([service]) => service),
  ]);
  // a tunnel first: the link under it is no WAN of its own
  const wans = [
    ...built(system, "l2tp", l2tpParams)
      .filter((s) => onWanLink.has(s.params.upstream))
      .map((s) => ({ ...s, kind: "l2tp" as const, lcpEcho: s.params.lcpEcho, upstream: s.params.upstream })),
    ...dhcpClients
      .filter((s) => s.params.interface === wanLink)
      .map((s) => ({ ...s, kind: "dhcp" as const, lcpEcho: null, upstream: null })),
    ...built(system, "pppoe", pppoeParams)
      .filter((s) => s.params.interface === wanLink)
      .map((s) => ({ ...s, kind: "pppoe" as const, lcpEcho: s.params.lcpEcho, upstream: null })),
  ];
  if (wanLink === undefined || wans.length === 0)
    throw new TopologyError(
      `${config}: no WAN: no network.dhcp.client, pppoe or l2tp service runs on the device's wan interface`,
    );

  const lan = built(system, "dnsmasq", dnsmasqParams)
    .map((d) => ({ ...d, address: addresses.get(d.params.interface) }))
    .find((d) => d.address?.family === "inet");
  if (!lan?.address) throw new TopologyError(`${config}: no LAN: no dnsmasq service serves an IPv4 network.address`);

  // a DHCPv6 client on the WAN (the PPP link, or the WAN's own interface), its prefix on the
  // interface the LAN's address is on
  const dhcp6 = built(system, "dhcp6c.client", interfaceParam).find((c) =>
    [wanLink, wans[0].service].includes(c.params.interface),
  );
  const prefix = built(system, "dhcp6c.prefix", dhcp6PrefixParams).find(
    (p) => p.params.client === dhcp6?.service && p.params.interface === lan.address?.interface,
  );

  const firewalls = built(system, "firewall", firewallParams);
  const ntp = built(system, "ntp", ntpParams).at(0);
  return {
    ...common(system),
    kind: "router",
    wap: null,
    wan: { kind: wans[0].kind, service: wans[0].service, lcpEcho: wans[0].lcpEcho, upstream: wans[0].upstream },
    lan: {
      service: lan.service,
      address: lan.address.address,
      prefixLength: lan.address.prefixLength,
      ranges: lan.params.ranges.flatMap((r) => {
        const m = v4Range.exec(r);
        return m ? [[m[1], m[2]] as [string, string]] : [];
      }),
      hosts: Object.entries(lan.params.hosts).map(([name, h]) => ({ name, mac: h.mac, v4: h.v4 })),
      domain: lan.params.domain,
    },
    nat: firewalls.filter((f) => "wan" in f.params.zones).map((f) => f.service),
    forwarding: built(system, "network.forward", z.object({})).map((f) => f.service),
    openToWan: firewalls.flatMap((f) =>
      f.params.open.filter((o) => o.zone === "wan").map((o) => ({ protocol: o.protocol, ports: o.ports })),
    ),
    ipv6: { client: dhcp6?.service ?? null, prefix: prefix?.service ?? null },
    ntp: ntp ? { service: ntp.service, allow: ntp.params.allow } : null,
  };
}

function accessPoints(system: SystemDescription): AccessPoint[] {
  const ifnames = new Map(built(system, "network.link", linkParams).map((l) => [l.service, l.params.ifname]));
  return built(system, "hostapd", hostapdParams).flatMap((ap) => {
    const ifname = ifnames.get(ap.params.interface);
    return ifname === undefined
      ? []
      : [
          {
            service: ap.service,
            ifname,
            ssid: ap.params.params.ssid,
            hwMode: ap.params.params.hw_mode,
            channel: ap.params.params.channel,
            passphrase: ap.params.params.wpa_passphrase ?? null,
          },
        ];
  });
}
