// The lab's address plan and credentials: what the ISP guest serves (image/lab/isp.ts) and what
// the checks expect of it. Documentation ranges only (RFC 5737, RFC 3849, RFC 6598), except the
// public resolvers configurations name as upstreams, which the ISP answers at itself.

/** The ISP's side of the WAN segment toward the router. */
export const ispWan = {
  v4: "192.0.2.1",
  v4PrefixLength: 24,
  /** DHCPv4 leases for DHCP WANs. */
  dhcpRange: ["192.0.2.100", "192.0.2.199"],
  v6: "2001:db8:0:1::1",
  v6PrefixLength: 64,
  /**
   * Prefixes delegated to routers (IA_PD): one /56 each out of this /40, each of the ISP's links
   * (this segment, each PPPoE session) from a /48 of its own (image/lab/isp.ts).
   */
  delegated: { prefix: "2001:db8:100::", length: 40, delegatedLength: 56 },
  /** Where every WAN link's /64 lies (this segment's, each PPPoE session's): a router's own address. */
  links6: "2001:db8::/48",
};

/**
 * The management VLAN the ISP also serves on its WAN segment when it plays an access point's main
 * router (examples/access-point.ts): tagged with this id, its own subnet and DHCP range, and not
 * routed to or from the untagged segment.
 */
export const ispManagement = {
  vid: 10,
  v4: "198.51.100.1",
  prefixLength: 24,
  dhcpRange: ["198.51.100.100", "198.51.100.199"],
};

/** PPP sessions, PPPoE's and L2TP's: the ISP's end and the first address handed to a router. */
export const ispPppoe = {
  local: "100.64.0.1",
  firstRemote: "100.64.0.100",
  sessions: 16,
  /** What the ISP accepts, by CHAP or PAP, and what the lab gives a router that reads secrets. */
  username: "lab",
  password: "limen-lab",
};

/** A secrets store's values when the lab is given no --secrets folder: what the ISP accepts. */
export const labSecrets: Record<string, string> = {
  "ppp/username": ispPppoe.username,
  "ppp/password": ispPppoe.password,
  "wifi/passphrase": "limen-lab-wifi",
};

/**
 * "The internet": addresses on the ISP's loopback, where every server of the lab answers. `www`
 * is where every name outside the ISP's zone resolves; the others are public resolvers that
 * configurations name as upstream DNS servers.
 */
export const internet = {
  www: { v4: "203.0.113.1", v6: "2001:db8:ffff::1" },
  resolvers: ["1.1.1.1", "9.9.9.9"],
};

/** The ISP's authoritative zone and its names. */
export const zone = {
  domain: "isp.test",
  hosts: { www: internet.www, ntp: internet.www },
};

/** The HTTP path whose answer is the source address the server saw. */
export const whoamiPath = "/cgi-bin/whoami";

/** The ISP's console login (password "secret"). */
export const ispHostname = "isp";
