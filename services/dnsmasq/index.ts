// DNS, DHCP and IPv6 router advertisement for the local network, by dnsmasq. Every setting is a
// command-line option, so there is no configuration file to keep in step.
import { isIP, isIPv4, isIPv6 } from "node:net";
import {
  defineModule,
  hostName,
  serviceAccount,
  longrun,
  outputRef,
  service,
  sh,
  template,
  z,
} from "../../image/config/index.ts";

// Ranges and fixed hosts become comma-separated dnsmasq values: each field is parsed, so that no
// value brings fields (a tag, another address) of its own.
const ipv4 = z.string().refine((a) => isIPv4(a), "must be an IPv4 address");
const ipv6 = z.string().refine((a) => isIPv6(a), "must be an IPv6 address");

const host = z.strictObject({
  mac: z.string().regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/, "must be a MAC address"),
  v4: ipv4,
  v6: z.array(ipv6).default([]),
  leasetime: z.number().int().min(120).default(86400),
});

/** The words a --dhcp-range field may be besides an address: its mode, and how long a lease lasts. */
const rangeMode = /^(static|proxy|ra-only|ra-names|ra-stateless|slaac|ra-advrouter|off-link)$/;
const rangeLease = /^([0-9]+[smhdw]?|infinite|deprecated)$/;

/** What is wrong with a --dhcp-range value, or null: tags first, then an address, then what may follow it. */
function rangeProblem(range: string): string | null {
  const fields = range.split(",");
  let i = 0;
  while (/^(tag|set):[A-Za-z0-9_-]+$/.test(fields[i] ?? "")) i++;
  if (!isIP(fields[i] ?? ""))
    return `must start with an address (after any tag: or set:), not ${JSON.stringify(fields[i] ?? "")}`;
  for (const f of fields.slice(i + 1)) {
    const ok =
      isIP(f) !== 0 ||
      /^constructor:[A-Za-z0-9_.@*-]{1,15}$/.test(f) ||
      rangeMode.test(f) ||
      rangeLease.test(f) ||
      /^[0-9]{1,3}$/.test(f);
    if (!ok) return `holds ${JSON.stringify(f)}, which is no address, constructor:, mode, prefix length or lease time`;
  }
  return null;
}

const range = z.string().superRefine((r, ctx) => {
  const problem = rangeProblem(r);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});

const dnsmasq = template(
  "dnsmasq",
  z.strictObject({
    name: z.string().default("dnsmasq").describe("Name of the service."),
    user: z.string().default("dnsmasq").describe("User dnsmasq runs as once started."),
    group: z.string().default("dnsmasq").describe("Group dnsmasq runs as once started."),
    interface: service.describe("The LAN interface (output ifname) to serve."),
    resolvconf: service
      .nullable()
      .default(null)
      .describe("A service whose output dns names the upstream DNS server (a DHCP client's, say)."),
    upstreams: z.array(z.string()).default([]).describe("Upstream DNS servers (dnsmasq --server values)."),
    ranges: z
      .array(range)
      .default([])
      .describe(
        "DHCP ranges (dnsmasq --dhcp-range values), e.g. 10.8.0.10,10.8.0.240; ::,constructor:br0,ra-stateless advertises br0's IPv6 prefixes (SLAAC).",
      ),
    domain: hostName.nullable().default(null).describe("Local domain, given to DHCP clients with their names."),
    hosts: z
      .record(hostName, host)
      .default({})
      .describe("Fixed leases by host name: mac, v4, v6 addresses and leasetime in seconds."),
  }),
  (p) => {
    const args = [
      "--keep-in-foreground",
      "--log-facility=-",
      "--conf-file=/dev/null",
      "--bind-dynamic",
      `--user=${p.user}`,
      `--group=${p.group}`,
      "--dhcp-leasefile=/run/dnsmasq.leases",
      ...p.ranges.map((r) => `--dhcp-range=${r}`),
      ...(p.domain === null ? [] : [`--domain=${p.domain}`, "--dhcp-fqdn"]),
      ...(p.upstreams.length > 0 || p.resolvconf !== null ? ["--no-resolv"] : []),
      ...p.upstreams.map((u) => `--server=${u}`),
      ...Object.entries(p.hosts).flatMap(([n, h]) => [
        `--dhcp-host=${[h.mac, h.v4, ...h.v6.map((a) => `[${a}]`), n, String(h.leasetime)].join(",")}`,
      ]),
    ];
    // the output dns may name several servers, space-separated (udhcpc's $dns, pppd's DNS1 DNS2)
    const servers =
      p.resolvconf === null
        ? []
        : [sh`dns=${outputRef(p.resolvconf, "dns")}`, 'set --\nfor s in $dns; do set -- "$@" "--server=$s"; done'];
    return longrun({
      name: p.name,
      dependencies: [p.interface, ...(p.resolvconf === null ? [] : [p.resolvconf])],
      run: [
        ...servers,
        sh`exec dnsmasq ${args} --interface=${outputRef(p.interface, "ifname")}` + (servers.length > 0 ? ' "$@"' : ""),
      ].join("\n"),
    });
  },
);

export default defineModule({
  name: "dnsmasq",
  config: {
    packages: ["dnsmasq-base"],
    ...serviceAccount("dnsmasq", 51, "DNS/DHCP service user", "/run/dnsmasq"),
    // the router resolves its own names (chrony's pool.ntp.org) through dnsmasq, which always
    // answers on the loopback interface too
    filesystem: { "/etc/resolv.conf": { type: "file", content: "nameserver 127.0.0.1\n" } },
  },
  svc: { dnsmasq },
});
