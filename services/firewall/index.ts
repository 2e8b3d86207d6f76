// An nftables firewall: a stateful default ruleset over zones (named sets of interfaces), with
// IPv4 masqueraded out of the "wan" zone. The ruleset has no dependencies, so it is loaded before the
// interfaces come up; each zone member is a oneshot of its own that adds its interface's name to
// the zone's set, so a restarted WAN rejoins its zone without reloading the ruleset.
import { defineModule, nameSafe, oneshot, outputRef, service, sh, template, z } from "../../image/config/index.ts";
import { checkRuleset, type RulesetLine } from "./check.ts";

/**
 * What the default ruleset needs of the kernel: Kconfig symbols for a kernel built from source,
 * modules where it builds them so (nf_tables with the sets, meta and payload matches; ct state;
 * the nat chain and masquerade; named limits for ICMP). libcrc32c, under conntrack and nf_tables,
 * asks the crypto API for crc32c, which Debian builds as the module crc32c_generic: it comes first.
 */
const kernel = {
  config: {
    NETFILTER: "y",
    NF_TABLES: "y",
    NF_TABLES_INET: "y",
    NF_CONNTRACK: "y",
    NFT_CT: "y",
    NFT_NAT: "y",
    NFT_MASQ: "y",
    NFT_LIMIT: "y",
    NFT_OBJREF: "y",
    NF_NAT: "y",
    CRYPTO_CRC32C: "y",
  },
  modules: ["crc32c_generic", "nf_tables", "nft_ct", "nft_chain_nat", "nft_masq", "nft_limit", "nft_objref"],
};

const zoneName = z.string().regex(/^[a-z][a-z0-9_]*$/, "must be a lower-case nftables set name");
const portOrRange = z.union([
  z.number().int().min(1).max(65535),
  z
    .string()
    .regex(/^\d{1,5}-\d{1,5}$/, "must be a port number or a range such as 6881-6889")
    .refine((r) => {
      const [a, b] = r.split("-").map(Number);
      return a >= 1 && a < b && b <= 65535;
    }, "must be a range of ports 1-65535, low to high"),
]);
const opening = z.strictObject({
  zone: zoneName.describe("Zone whose interfaces the connections arrive on."),
  protocol: z.enum(["tcp", "udp"]).describe("Transport protocol."),
  ports: z.array(portOrRange).min(1).describe("Destination ports on the router, numbers or ranges (a-b)."),
});
type Chain = "input" | "forward" | "prerouting" | "postrouting";
const statements = z
  .array(
    z
      .string()
      .min(1)
      .regex(/^[^\n]*$/, "must be one statement on one line"),
  )
  .default([]);

const params = z
  .strictObject({
    name: z.string().default("firewall").describe("Name of the service."),
    zones: z
      .record(zoneName, z.array(service))
      .default({})
      .describe('Interface services (output ifname) by zone; "lan" may reach "wan", IPv4 masqueraded.'),
    open: z
      .array(opening)
      .default([])
      .describe("Router ports that accept new connections from a zone (the input chain drops all others)."),
    rules: z
      .strictObject({
        input: statements.describe("Rules added to the input chain after the defaults, before its drop policy."),
        forward: statements.describe("Rules added to the forward chain after the defaults, before its drop policy."),
        prerouting: statements.describe("Rules of a nat prerouting chain (dnat, redirect)."),
        postrouting: statements.describe('Rules added to the nat postrouting chain after "wan" masquerading.'),
      })
      .prefault({})
      .describe("nftables rules inside the chains: an accept here does override the chain's drop policy."),
    extraRules: z
      .string()
      .default("")
      .describe(
        "nftables definitions added inside table inet limen (sets, maps, chains the rules jump to); an accept in a base chain of its own cannot override the input or forward chain's drop.",
      ),
  })
  .superRefine((p, ctx) => {
    const zones = Object.keys(p.zones);
    const unknown = p.open.findIndex((o) => !zones.includes(o.zone));
    if (unknown >= 0) {
      const message = `no zone "${p.open[unknown].zone}" in zones`;
      ctx.addIssue({ code: "custom", path: ["open", unknown, "zone"], message });
      return;
    }
    // nft itself is the parser: what it rejects here would leave the router without a firewall
    const problem = checkRuleset(ruleset(p));
    if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
  });
type Params = z.output<typeof params>;

// icmp and ipv6-icmp by number: nft resolves protocol names through /etc/protocols
const icmpLimit = "    meta l4proto { 1, 58 } limit name iifname map @icmp_limit drop";

/** The ruleset, each line with the option it came from (null: written here). */
function ruleset(p: Params): RulesetLine[] {
  const zones = Object.keys(p.zones);
  const has = (z: string) => zones.includes(z);
  const ours = (...lines: string[]): RulesetLine[] => lines.map((text) => ({ text, path: null }));
  const extra = (chain: Chain): RulesetLine[] =>
    p.rules[chain].map((text, i) => ({ text: `    ${text}`, path: ["rules", chain, i] }));
  const openings = p.open.map((o, i): RulesetLine => ({
    text: `    iifname @${o.zone} ${o.protocol} dport { ${o.ports.join(", ")} } accept`,
    path: ["open", i],
  }));
  const natChain = (chain: "prerouting" | "postrouting", priority: string, lines: RulesetLine[]) =>
    lines.length === 0
      ? []
      : [...ours(`  chain ${chain} {`, `    type nat hook ${chain} priority ${priority};`), ...lines, ...ours("  }")];
  return [
    // declaring then deleting the table makes loading the file replace it in one transaction
    ...ours("table inet limen", "delete table inet limen", "table inet limen {"),
    ...ours(...zones.map((z) => `  set ${z} { type ifname; }`)),
    // each interface's ICMP limit, by name (its zone member adds it)
    ...ours("  map icmp_limit { type ifname : limit; }"),
    ...ours(
      "  chain input {",
      "    type filter hook input priority filter; policy drop;",
      icmpLimit,
      "    ct state established,related accept",
      '    iifname "lo" accept',
      // icmp and ipv6-icmp by number: nft resolves protocol names through /etc/protocols
      "    meta l4proto { 1, 58 } accept",
      // a DHCPv6 server answers a multicast request from its link-local address: conntrack
      // cannot pair the two, so the answer would be a new connection
      "    ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept",
      ...(has("lan") ? ["    iifname @lan accept"] : []),
    ),
    ...openings,
    ...extra("input"),
    ...ours(
      "  }",
      "  chain forward {",
      "    type filter hook forward priority filter; policy drop;",
      icmpLimit,
      "    ct state established,related accept",
      ...(has("lan") && has("wan") ? ["    iifname @lan oifname @wan accept"] : []),
    ),
    ...extra("forward"),
    ...ours("  }"),
    ...natChain("prerouting", "dstnat", extra("prerouting")),
    ...natChain("postrouting", "srcnat", [
      // IPv4 only: the LAN's IPv6 addresses are global (a delegated prefix) and leave as they are
      ...(has("wan") ? ours("    meta nfproto ipv4 oifname @wan masquerade") : []),
      ...extra("postrouting"),
    ]),
    ...p.extraRules
      .split("\n")
      .filter((l) => l !== "")
      .map((text) => ({ text, path: ["extraRules"] })),
    ...ours("}"),
  ];
}

/** The share of an interface's bandwidth (its output "bandwidth", bytes/s) ICMP arriving on it may use. */
const icmpShare = 20;

// A zone member of its own: its script reads the interface's name when it starts, and it restarts
// with the interface while the ruleset stays loaded. An interface that publishes its bandwidth
// (PPPoE's option) also gets a limit of its own: ICMP arriving on it beyond 1/20 of that is
// dropped, so a ping flood cannot take the link.
const member = template(
  "firewall.member",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <firewall>.<zone>.<interface's name> when not given."),
    firewall: service.describe("The firewall whose zone set the interface joins."),
    zone: zoneName.describe("The zone (a set of the firewall's ruleset)."),
    interface: service.describe("The interface service (output ifname) that joins the zone while it is up."),
  }),
  (p) => {
    const name = p.name ?? `${p.firewall.name}.${p.zone}.${nameSafe(p.interface.name)}`;
    const ifname = outputRef(p.interface, "ifname");
    const element = sh`inet limen ${p.zone} "{" ${ifname} "}"`;
    const limit = `icmp_${nameSafe(name).replace(/[^A-Za-z0-9_]/g, "_")}`;
    return oneshot({
      name,
      dependencies: [p.firewall, p.interface],
      up: [
        `nft add element ${element}`,
        sh`bw=$(output ${p.interface.name} bandwidth 2>/dev/null) || bw=""`,
        'if [ -n "$bw" ]; then',
        `  rate=$((bw / ${icmpShare}))`,
        sh`  nft add limit inet limen ${limit} "{ rate over $rate bytes/second burst $rate bytes }"`,
        sh`  nft add element inet limen icmp_limit "{" ${ifname} : ${limit} "}"`,
        "fi",
      ].join("\n"),
      down: [
        `nft delete element ${element}`,
        sh`nft delete element inet limen icmp_limit "{" ${ifname} "}" 2>/dev/null || true`,
        sh`nft delete limit inet limen ${limit} 2>/dev/null || true`,
      ].join("\n"),
    });
  },
);

/** Where the firewall service `name` keeps its ruleset on the device. */
export const rulesetFile = (name: string) => `/etc/limen/firewall/${nameSafe(name)}.nft`;

const firewall = template("firewall", params, (p, self) => {
  const file = rulesetFile(p.name);
  const text =
    ruleset(p)
      .map((l) => l.text)
      .join("\n") + "\n";
  return oneshot({
    name: p.name,
    brings: Object.entries(p.zones).flatMap(([zone, ifs]) =>
      ifs.map((i) => member.build({ firewall: self, zone, interface: i })),
    ),
    files: { [file]: { type: "file", content: text } },
    kernelModules: kernel.modules,
    up: sh`nft -f ${file}`,
    down: "nft delete table inet limen",
  });
});

export default defineModule({
  name: "firewall",
  config: { packages: ["nftables"], kernel: { config: kernel.config } },
  svc: { firewall, member },
});
