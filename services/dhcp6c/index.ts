// IPv6 from an upstream that hands out addresses and prefixes by DHCP6 (odhcp6c). The client
// writes what it got to its outputs; `prefix` and `address` put an address on an interface from
// them when they start (following later changes is the device side's job).
import { defineModule, longrun, oneshot, outputRef, service, sh, template, z } from "../../image/config/index.ts";

// odhcp6c runs this on every state change with the lease in its environment.
const script = `#!/bin/sh
for v in ADDRESSES PREFIXES RDNSS DOMAINS; do printenv "$v" > "$OUTPUTS/$(echo "$v" | tr A-Z a-z)"; done
`;

const client = template("dhcp6c.client", z.strictObject({ name: z.string().optional(), interface: service }), (p) => {
  const name = p.name ?? `${p.interface.name}.dhcp6c`;
  const path = `/etc/limen/odhcp6c/${name}`;
  return longrun({
    name,
    dependencies: [p.interface],
    outputs: ["addresses", "prefixes", "rdnss", "domains"],
    files: { [path]: { type: "file", content: script, mode: 0o755 } },
    run: sh`exec odhcp6c -e -v -P 0 -s ${path} ${outputRef(p.interface, "ifname")}`,
  });
});

/** A oneshot adding `<first address of output>` + suffix to an interface; lists are "addr/len,pref,valid ...". */
function fromOutput(kind: string, key: string, suffix: string) {
  return template(`dhcp6c.${kind}`, z.strictObject({ name: z.string().optional(), client: service, interface: service }), (p) => {
    const dev = outputRef(p.interface, "ifname");
    const first = `v=${sh`${outputRef(p.client, key)}`}; v="\${v%%/*}"`;
    return oneshot({
      name: p.name ?? `${p.interface.name}.${kind}6`,
      dependencies: [p.client, p.interface],
      up: [first, `ip -6 address add "\${v}${suffix}/64" dev ` + sh`${dev}`].join("\n"),
      down: [first, `ip -6 address del "\${v}${suffix}/64" dev ` + sh`${dev}`].join("\n"),
    });
  });
}

export default defineModule({
  name: "dhcp6c",
  config: { packages: ["odhcp6c"], programs: { busybox: { applets: ["tr", "printenv"] } }, kernel: { config: { IPV6: "y" } } },
  svc: { client, prefix: fromOutput("prefix", "prefixes", "1"), address: fromOutput("address", "addresses", "") },
});
