// The `sysctl` option: kernel parameters init writes under /proc/sys at boot (init/sysctl.ts),
// from /etc/limen/sysctl.conf, the router defaults below overridden key by key by the
// configuration's own.
import { z } from "zod";

/**
 * A key as sysctl(8) takes it: dotted (net.ipv4.tcp_syncookies), or a path under /proc/sys with
 * slashes for a name that holds a dot itself (net/ipv4/conf/eth0.2/rp_filter). No segment starts
 * with a dot, so none climbs out of /proc/sys.
 */
const key = z
  .string()
  .regex(
    /^([a-z0-9_]+(\.[A-Za-z0-9_@-]+)+|[a-z0-9_]+(\/[A-Za-z0-9_@-][A-Za-z0-9_.@-]*)+)$/,
    "must be a sysctl key, dotted (net.ipv4.ip_forward) or with slashes (net/ipv4/conf/eth0.2/rp_filter)",
  );

const value = z.union([
  z.number().int(),
  z.string().regex(/^[^\n=#]*[^\s=#][^\n=#]*$/, "must be a value on one line, without = or #"),
]);

export const sysctlOption = z.record(key, value);
export type Sysctl = z.output<typeof sysctlOption>;

/** What a router wants from the kernel whatever it routes; a configuration's values win. */
export const routerDefaults: Sysctl = {
  // These two are the kernel's defaults too, stated so that the configuration shows them and a
  // kernel built otherwise keeps them. SYN floods against the router's own services (ssh, DNS
  // over TCP) cost no memory per attempt; pings to a broadcast address get no answer (no smurf
  // amplifier).
  "net.ipv4.tcp_syncookies": 1,
  "net.ipv4.icmp_echo_ignore_broadcasts": 1,
  // Loose reverse-path filtering (RFC 3704): drops packets whose source no interface could reach,
  // spoofed or martian, while a second WAN (round-robin failover) or asymmetric routes still
  // work, which strict mode (1) would break. The kernel applies the larger of all and the
  // interface's value, so `all` covers every interface.
  "net.ipv4.conf.all.rp_filter": 2,
  // Source-routed packets would let a sender choose the path through (or around) the router;
  // an interface takes them only when `all` does too.
  "net.ipv4.conf.all.accept_source_route": 0,
  // With forwarding on, an interface ignores router advertisements unless accept_ra is 2; a
  // router still takes its WAN's default route and prefix from them. Interfaces made after
  // boot (ppp0, VLANs, bridges) start from `default`; network.forward raises those that exist.
  "net.ipv6.conf.default.accept_ra": 2,
};

/** /etc/limen/sysctl.conf in sysctl.conf(5)'s `key = value` form, sorted by key. */
export function sysctlFile(own: Sysctl): string {
  const all = { ...routerDefaults, ...own };
  return Object.keys(all)
    .sort()
    .map((k) => `${k} = ${all[k]}\n`)
    .join("");
}
