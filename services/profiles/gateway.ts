// The gateway profile: a household's main router in one template. A WAN of the chosen type behind
// the firewall, the LAN a bridge of wired ports and access points with the router's address,
// dnsmasq for DHCP, DNS and router advertisements, IPv6 by prefix delegation, NAT and the ports
// opened to the WAN, and chrony serving the LAN the time. Each piece is built by its own template
// (their parameters recorded, so tools such as the lab read the router's roles), gathered in one
// bundle.
import {
  bundle,
  defineModule,
  interfaceService,
  outputRef,
  template,
  z,
  type Service,
} from "../../image/config/index.ts";
import bridge from "../bridge/index.ts";
import dhcp6c from "../dhcp6c/index.ts";
import dnsmasq from "../dnsmasq/index.ts";
import firewall from "../firewall/index.ts";
import hostapd from "../hostapd/index.ts";
import network from "../network/index.ts";
import ntp from "../ntp/index.ts";
import ppp from "../ppp/index.ts";
import l2tp from "../ppp/l2tp.ts";
import { accessPoints, ipv4, subnetOf, wirelessNetworks } from "./wireless.ts";

const pppoeParams = ppp.svc.pppoe.params.shape;
const l2tpParams = l2tp.svc.l2tp.params.shape;
const dnsmasqParams = dnsmasq.svc.dnsmasq.params.shape;

/** The upstream link, by type. */
const wan = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("pppoe").describe("PPP over Ethernet: the session's address, peer and DNS become outputs."),
      interface: interfaceService.describe("The Ethernet interface the PPPoE server is on (interfaces.wan)."),
      username: pppoeParams.username,
      password: pppoeParams.password,
      lcpEcho: pppoeParams.lcpEcho,
    }),
    z.strictObject({
      type: z.literal("dhcp").describe("A DHCPv4 lease gives the address, default route and DNS."),
      interface: interfaceService.describe("The interface to ask on (interfaces.wan)."),
    }),
    z.strictObject({
      type: z
        .literal("l2tp")
        .describe("PPP over L2TP over a DHCPv4 lease on the interface: the session's outputs, as PPPoE's."),
      interface: interfaceService.describe("The interface whose lease the tunnel runs over (interfaces.wan)."),
      lns: l2tpParams.lns
        .optional()
        .describe("The L2TP network server (address or host name); the lease's router when not given."),
      username: l2tpParams.username,
      password: l2tpParams.password,
      lcpEcho: l2tpParams.lcpEcho,
    }),
  ])
  .describe(
    'The WAN: { type: "pppoe", interface, username, password, lcpEcho }, { type: "dhcp", interface } or { type: "l2tp", interface, lns, username, password, lcpEcho }.',
  );

const params = z.strictObject({
  name: z.string().default("gateway").describe("Name of the bundle holding the router's services."),
  wan,
  ipv6: z
    .boolean()
    .default(true)
    .describe("Ask the WAN for a delegated prefix by DHCPv6 and advertise a /64 of it on the LAN (SLAAC)."),
  lan: z
    .strictObject({
      ifname: z
        .string()
        .regex(/^[A-Za-z0-9_.@-]{1,15}$/, "must be a network interface name")
        .default("int")
        .describe("Name of the LAN's bridge device."),
      interfaces: z
        .array(interfaceService)
        .default([])
        .describe("Wired ports (interface services) in the LAN's bridge; the access points join them."),
      address: ipv4.describe("The router's IPv4 address on the LAN."),
      prefixLength: z.number().int().min(8).max(30).describe("Length of the LAN's IPv4 prefix (16 for a /16)."),
      dhcp: z
        .strictObject({
          start: ipv4.describe("First address dnsmasq leases."),
          end: ipv4.describe("Last address dnsmasq leases."),
        })
        .nullable()
        .default(null)
        .describe("The IPv4 addresses dnsmasq leases; null leases none (fixed hosts still get theirs)."),
      domain: dnsmasqParams.domain,
      hosts: dnsmasqParams.hosts,
      upstreams: z
        .array(ipv4)
        .default([])
        .describe("DNS servers dnsmasq asks; none: those the WAN's lease or session gives."),
    })
    .describe("The LAN: its bridge and wired ports, the router's address, DHCP range, local domain and fixed hosts."),
  wireless: wirelessNetworks,
  open: firewall.svc.firewall.params.shape.open,
  ntp: z
    .strictObject({
      pools: z
        .record(z.string().regex(/^[^\s#\p{Cc}]+$/u, "must be a host name"), z.array(z.string()))
        .default({ "pool.ntp.org": ["iburst"] })
        .describe("chrony pools by host name, each with its options."),
    })
    .nullable()
    .default({ pools: { "pool.ntp.org": ["iburst"] } })
    .describe("Network time from these pools, served to the LAN's subnet on its bridge; null runs no NTP."),
});

type Params = z.output<typeof params>;

/**
 * The WAN's link service, what asks it for IPv6 (the session itself, or the Ethernet link under a
 * lease), the other services it brings, and the wan zone's members besides the link.
 */
function upstream(w: Params["wan"]): { link: Service; v6: Service; extra: Service[]; zone: Service[] } {
  switch (w.type) {
    case "pppoe": {
      const link = ppp.svc.pppoe.build({
        interface: w.interface,
        username: w.username,
        password: w.password,
        lcpEcho: w.lcpEcho,
      });
      return { link, v6: link, extra: [], zone: [] };
    }
    case "dhcp": {
      const link = network.svc.dhcp.client.build({ interface: w.interface });
      const route = network.svc.route.build({
        interface: w.interface,
        target: "default",
        via: outputRef(link, "router"),
        dependencies: [link],
      });
      return { link, v6: w.interface, extra: [route], zone: [] };
    }
    case "l2tp": {
      // the lease gives the tunnel an address and, unless lns says otherwise, its server; the
      // default route is the session's. Its port is in the wan zone too: only the tunnel comes in
      const lease = network.svc.dhcp.client.build({ interface: w.interface });
      const link = l2tp.svc.l2tp.build({
        name: "wan.l2tp",
        upstream: lease,
        lns: w.lns ?? outputRef(lease, "router"),
        username: w.username,
        password: w.password,
        lcpEcho: w.lcpEcho,
      });
      return { link, v6: link, extra: [lease], zone: [w.interface] };
    }
  }
}

const gateway = template("gateway", params, (p) => {
  const int = bridge.svc.primary.build({ ifname: p.lan.ifname });
  const address = network.svc.address.build({
    interface: int,
    family: "inet",
    address: p.lan.address,
    prefixLength: p.lan.prefixLength,
  });
  const wanSide = upstream(p.wan);
  const fw = firewall.svc.firewall.build({
    zones: { lan: [int], wan: [wanSide.link, ...wanSide.zone] },
    open: p.open,
  });
  // nothing faces the WAN or is forwarded before the ruleset is loaded
  for (const s of [wanSide.link, ...wanSide.extra]) s.after(fw);
  const dhcp6 = p.ipv6 ? dhcp6c.svc.client.build({ interface: wanSide.v6 }).after(fw) : null;
  const ranges = [
    ...(p.lan.dhcp === null ? [] : [`${p.lan.dhcp.start},${p.lan.dhcp.end}`]),
    ...(p.ipv6 ? [`::,constructor:${p.lan.ifname},ra-stateless`] : []),
  ];
  const services = [
    bridge.svc.members.build({ primary: int, members: [...p.lan.interfaces, ...accessPoints(p.wireless)] }),
    address,
    wanSide.link,
    ...wanSide.extra,
    ...(dhcp6 === null ? [] : [dhcp6, dhcp6c.svc.prefix.build({ client: dhcp6, interface: int })]),
    dnsmasq.svc.dnsmasq.build({
      interface: address,
      ranges,
      domain: p.lan.domain,
      hosts: p.lan.hosts,
      upstreams: p.lan.upstreams,
      resolvconf: p.lan.upstreams.length === 0 ? wanSide.link : null,
    }),
    fw,
    network.svc.forward.build({}).after(fw),
    ...(p.ntp === null
      ? []
      : [
          ntp.svc.ntp.build({
            pools: p.ntp.pools,
            makestep: { threshold: 1.0, limit: 3 },
            allow: [subnetOf(p.lan.address, p.lan.prefixLength)],
            binddevice: p.lan.ifname,
          }),
        ]),
  ];
  return bundle({ name: p.name, contents: services });
});

export default defineModule({
  name: "gateway",
  // not l2tp: a configuration with an L2TP WAN imports it, so that other gateways carry no xl2tpd
  imports: [network, bridge, hostapd, dnsmasq, ppp, dhcp6c, firewall, ntp],
  svc: { gateway },
});
