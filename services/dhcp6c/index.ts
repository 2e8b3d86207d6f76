// IPv6 from an upstream that hands out addresses and prefixes by DHCP6, with Debian's dhcpcd
// (dhcpcd-base). The client asks on one interface for an address (IA_NA), which dhcpcd puts on
// that interface itself (a /128, renewed and removed with the lease), and a delegated prefix
// (IA_PD), which it assigns nowhere: it only adds an unreachable route for the prefix, so that
// packets to its unused parts stop at the router. It writes the lease to its outputs, each a
// space-separated list:
//   addresses  "2001:db8::100/128"   (IA_NA addresses, always /128)
//   prefixes   "2001:db8:1::/48"     (delegated prefixes with their length)
//   rdnss      "2001:db8::53"        (DNS servers)
//   domains    "example.org"         (DNS search list)
// An output the lease lacks is absent rather than empty, so a reader fails naming it. The client
// is ready (s6 notification) once it has a lease; `prefix` and `address` put an address from the
// outputs on another interface when they start (following later changes is the device side's job).
import { ConfigError } from "../../image/config/errors.ts";
import {
  defineModule,
  longrun,
  oneshot,
  outputRef,
  service,
  serviceAccount,
  sh,
  template,
  z,
} from "../../image/config/index.ts";

const conf = "/etc/limen/dhcpcd/dhcp6.conf";
const hook = "/etc/limen/dhcpcd/dhcp6-hook";
const readyFd = 3;

// Top-level options apply to the one interface of the command line. dhcpcd takes over router
// advertisements there (the default route; their prefixes make no addresses, the lease does);
// "-" delegates the prefix to no interface (dhcpcd 9.4.1 still logs "cannot delegate to -":
// harmless, later versions say nothing). DUID-LL comes from the MAC address: the same after a
// reboot with nothing stored, so the upstream hands out the same prefix again. (An interface
// without one, ppp0, makes dhcpcd take the first that has one: lo, all zeros.)
const config = `ipv6only
ipv6ra_noautoconf
duid ll
script ${hook}
option dhcp6_name_servers, dhcp6_domain_search
ia_na 1
ia_pd 2 -
`;

// dhcpcd runs this at every event, with the lease in new_dhcp6_* variables (of the one IA_NA and
// the one IA_PD asked for) and OUTPUTS passed by -e: it gives scripts no other environment. It
// inherits the s6 notification fd: a lease makes the service ready; once s6 has closed that pipe
// the write fails, in a subshell.
const script = String.raw`#!/bin/sh
put() { if [ -n "$2" ]; then echo "$2" > "$OUTPUTS/$1"; else rm -f "$OUTPUTS/$1"; fi; }
case "$reason" in
  BOUND6|RENEW6|REBIND6|REBOOT6)
    a=""; p=""; i=1
    while eval "v=\$new_dhcp6_ia_na1_ia_addr$i"; [ -n "$v" ]; do a="$a $v/128"; i=$((i + 1)); done
    i=1
    while eval "v=\$new_dhcp6_ia_pd1_prefix$i n=\$new_dhcp6_ia_pd1_prefix$i""_length"; [ -n "$v" ]; do p="$p $v/$n"; i=$((i + 1)); done
    put addresses "$(echo $a)"; put prefixes "$(echo $p)"; put rdnss "$new_dhcp6_name_servers"; put domains "$new_dhcp6_domain_search"
    (echo >&${readyFd}) 2>/dev/null || true ;;
  EXPIRE6|RELEASE6|STOP6) for k in addresses prefixes rdnss domains; do put "$k" ""; done ;;
esac
`;

const client = template(
  "dhcp6c.client",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <interface's name>.dhcp6c when not given."),
    interface: service.describe("The upstream interface (output ifname) to ask on."),
  }),
  (p) =>
    longrun({
      name: p.name ?? `${p.interface.name}.dhcp6c`,
      dependencies: [p.interface],
      outputs: ["addresses", "prefixes", "rdnss", "domains"],
      notificationFd: readyFd,
      // a lease takes a few seconds; an upstream PPP link may be slow to pass traffic at first
      timeoutUp: 60_000,
      run: sh`exec dhcpcd -B -f ${conf} -e OUTPUTS="$OUTPUTS" ${outputRef(p.interface, "ifname")}`,
    }),
);

/**
 * A oneshot adding `<first entry of the output, before its "/">` + suffix, as a /64, to an
 * interface other than the client's: dhcpcd puts the address on its own interface itself, and a
 * delegated prefix is for the other side of the router.
 */
function fromOutput(kind: string, key: string, suffix: string) {
  return template(
    `dhcp6c.${kind}`,
    z.strictObject({
      name: z.string().optional().describe(`Name of the service; <interface's name>.${kind}6 when not given.`),
      client: service.describe("The dhcp6c.client whose lease gives the address."),
      interface: service.describe("The interface (output ifname) to add the /64 address to: not the client's."),
    }),
    (p) => {
      const client = p.client.realize([`dhcp6c.${kind}`, "client"]);
      if (client.dependencies.includes(p.interface)) {
        throw new ConfigError(
          `dhcp6c.${kind}.interface`,
          p.interface.origin,
          `is the interface ${client.name} runs on: give another one`,
        );
      }
      const dev = outputRef(p.interface, "ifname");
      const first = `v=${sh`${outputRef(p.client, key)}`}; v="\${v%%/*}"`;
      return oneshot({
        name: p.name ?? `${p.interface.name}.${kind}6`,
        dependencies: [p.client, p.interface],
        up: [first, `ip -6 address add "\${v}${suffix}/64" dev ` + sh`${dev}`].join("\n"),
        down: [first, `ip -6 address del "\${v}${suffix}/64" dev ` + sh`${dev}`].join("\n"),
      });
    },
  );
}

export default defineModule({
  name: "dhcp6c",
  config: {
    packages: ["dhcpcd-base"],
    programs: { busybox: { applets: ["ip"] } },
    kernel: { config: { IPV6: "y" } },
    // dhcpcd separates privileges: its unprivileged parts run as this user, chrooted to its
    // (empty) home. The lease and the DUID go to /var/lib/dhcpcd, on /run as the root may be
    // read-only; dhcpcd makes /run/dhcpcd itself.
    ...serviceAccount("dhcpcd", 53, "DHCP client", "/usr/lib/dhcpcd"),
    filesystem: {
      "/usr/lib/dhcpcd": { type: "directory" },
      "/var/lib/dhcpcd": { type: "symlink", target: "/run/dhcpcd" },
      [conf]: { type: "file", content: config },
      [hook]: { type: "file", content: script, mode: 0o755 },
    },
  },
  svc: { client, prefix: fromOutput("prefix", "prefixes", "1"), address: fromOutput("address", "addresses", "") },
});
