// The `hosts` option and the /etc/hosts it makes: localhost first (IPv4 and IPv6), then the
// router's own name, then the configuration's static names.
import { isIP } from "node:net";
import { z } from "zod";

/** One host name: dot-separated labels of letters, digits and inner hyphens (RFC 1123), 253 at most. */
export const hostName = z
  .string()
  .max(253, "must be a host name of at most 253 characters")
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
    "must be a host name (labels of letters, digits and inner hyphens, at most 63 characters each)",
  );

/** An address as /etc/hosts takes it: IPv4 dotted quad or IPv6, without a zone. */
const address = z
  .string()
  .refine((a) => isIP(a) !== 0 && !a.includes("%"), "must be an IPv4 or IPv6 address (without a zone)");

export const hostsOption = z.record(address, z.array(hostName).min(1, "must give at least one name"));

/**
 * /etc/hosts. The host name goes on 127.0.1.1 (Debian's practice for a host without a fixed
 * address) only when no entry names it: dnsmasq serves this file to the LAN, where the router's
 * name should answer with the address the configuration gives it, not a loopback one.
 */
export function hostsFile(hostname: string, hosts: z.output<typeof hostsOption>): string {
  const named = Object.values(hosts).some((names) => names.includes(hostname));
  const lines = [
    "127.0.0.1 localhost",
    "::1 localhost",
    ...(named ? [] : [`127.0.1.1 ${hostname}`]),
    ...Object.entries(hosts).map(([a, names]) => `${a} ${names.join(" ")}`),
  ];
  return lines.join("\n") + "\n";
}
