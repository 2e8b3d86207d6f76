// An nftables firewall: a stateful default ruleset over zones (named sets of interfaces), with
// masquerading out of the "wan" zone. Interface names are added to the zones when it starts.
import { defineModule, nameSafe, oneshot, outputRef, service, sh, template, z } from "../../image/config/index.ts";

const zoneName = z.string().regex(/^[a-z][a-z0-9_]*$/, "must be a lower-case nftables set name");

function ruleset(zones: string[], extraRules: string): string {
  const has = (z: string) => zones.includes(z);
  return [
    "table inet limen {",
    ...zones.map((z) => `  set ${z} { type ifname; }`),
    "  chain input {",
    "    type filter hook input priority filter; policy drop;",
    "    ct state established,related accept",
    '    iifname "lo" accept',
    // by number: nft resolves protocol names through /etc/protocols, which the image lacks
    "    meta l4proto { 1, 58 } accept",
    ...(has("lan") ? ["    iifname @lan accept"] : []),
    "  }",
    "  chain forward {",
    "    type filter hook forward priority filter; policy drop;",
    "    ct state established,related accept",
    ...(has("lan") && has("wan") ? ["    iifname @lan oifname @wan accept"] : []),
    "  }",
    ...(has("wan")
      ? [
          "  chain postrouting {",
          "    type nat hook postrouting priority srcnat;",
          "    oifname @wan masquerade",
          "  }",
        ]
      : []),
    ...(extraRules === "" ? [] : [extraRules]),
    "}",
    "",
  ].join("\n");
}

const firewall = template(
  "firewall",
  z.strictObject({
    name: z.string().default("firewall").describe("Name of the service."),
    zones: z
      .record(zoneName, z.array(service))
      .default({})
      .describe('Interface services (output ifname) by zone; "lan" may reach "wan", which is masqueraded.'),
    extraRules: z.string().default("").describe("nftables statements added inside table inet limen."),
  }),
  (p) => {
    const file = `/etc/limen/firewall/${nameSafe(p.name)}.nft`;
    const fill = Object.entries(p.zones).flatMap(([zone, ifs]) =>
      ifs.map((i) => sh`nft add element inet limen ${zone} "{" ${outputRef(i, "ifname")} "}"`),
    );
    return oneshot({
      name: p.name,
      dependencies: Object.values(p.zones).flat(),
      files: { [file]: { type: "file", content: ruleset(Object.keys(p.zones), p.extraRules) } },
      up: [sh`nft -f ${file}`, ...fill].join("\n"),
      down: "nft delete table inet limen",
    });
  },
);

export default defineModule({
  name: "firewall",
  config: {
    packages: ["nftables"],
    kernel: {
      config: {
        NETFILTER: "y",
        NF_TABLES: "y",
        NF_TABLES_INET: "y",
        NF_CONNTRACK: "y",
        NFT_CT: "y",
        NFT_NAT: "y",
        NFT_MASQ: "y",
        NF_NAT: "y",
      },
    },
  },
  svc: { firewall },
});
