// The lab's ISP: a Limen image for qemu-aarch64 that plays the router's upstream and the whole
// internet. On its first NIC (the router's WAN segment) it serves PPPoE (rp-pppoe's pppoe-server
// with pppd, CHAP or PAP), PPP over L2TP (xl2tpd as the LNS, the same pppd options and
// addresses), DHCPv4 and DNS (dnsmasq), DHCPv6 with prefix delegation (Kea) and
// router advertisements (dnsmasq), on that segment and on every PPP session; on its loopback it
// holds the addresses of "the internet" (image/lab/plan.ts), where DNS, NTP (chrony) and HTTP
// (busybox httpd, answering with the client's source address) answer too. Playing an access
// point's main router, it also serves DHCPv4 on a tagged management VLAN of the first NIC, which it
// does not route to or from (no forwarding). Its second NIC is unused, and its own MAC address on
// the first. The console password is "secret".
import { defineConfig, longrun, oneshot, sh } from "../config/index.ts";
import console from "../../services/console/index.ts";
import dnsmasq from "../../services/dnsmasq/index.ts";
import network from "../../services/network/index.ts";
import ntp from "../../services/ntp/index.ts";
import vlan from "../../services/vlan/index.ts";
import { dottedQuad, ipv4 } from "./parse.ts";
import { internet, ispHostname, ispManagement, ispPppoe, ispWan, whoamiPath, zone } from "./plan.ts";

const pppOptions = "/etc/limen/ppp/server-options";
const lnsConf = "/etc/limen/xl2tpd/lns.conf";
const www = "/srv/www";
const ispMac = "52:54:00:15:50:01";

// pppd on the ISP's end of each session, PPPoE's or L2TP's: authenticate the peer by CHAP or PAP
// (whichever it accepts) with the secrets below, notice a dead peer, and offer the ISP's resolver.
const serverOptions = `auth
require-chap
require-pap
lcp-echo-interval 5
lcp-echo-failure 3
ms-dns ${ispWan.v4}
+ipv6
noproxyarp
nodefaultroute
`;
const secrets = `"${ispPppoe.username}" * "${ispPppoe.password}" *\n`;

/**
 * The links Kea serves, each a subnet of its own: Kea picks a directly connected client's subnet
 * by the interface its request came in on. The WAN segment, and each PPPoE session as pppd names
 * it (pppN, the lowest free N), each with a /64 whose ::1 is the ISP's end and ::100–::1ff its
 * DHCPv6 addresses. Link i delegates /56s from the i-th /48 of ispWan.delegated (2001:db8:100::/40).
 */
const links = [
  { ifname: "eth0", net: ispWan.v6.replace(/::1$/, "::") },
  ...Array.from({ length: ispPppoe.sessions }, (_, n) => ({
    ifname: `ppp${n}`,
    net: `2001:db8:0:${(0x100 + n).toString(16)}::`,
  })),
].map((l, i) => ({
  ...l,
  subnet: {
    id: i + 1,
    subnet: `${l.net}/64`,
    interface: l.ifname,
    pools: [{ pool: `${l.net}100-${l.net}1ff` }],
    "pd-pools": [
      {
        prefix: `2001:db8:${(0x100 + i).toString(16)}::`,
        "prefix-len": 48,
        "delegated-len": ispWan.delegated.delegatedLength,
      },
    ],
  },
}));

// Kea refuses a subnet on an interface that does not exist, and sessions come and go: its run
// script writes the configuration from this template with the links present (their names for
// "@interfaces@", their subnets for "@subnets@"), and pppd restarts it as a session comes up.
const keaTemplate = "/etc/limen/kea/dhcp6.json";
const keaSubnets = "/etc/limen/kea/subnets";
const keaConf = "/run/kea/dhcp6.json";
const leaseEvent = "/etc/limen/kea/lease-event";
const runScriptHook = "/usr/lib/aarch64-linux-gnu/kea/hooks/libdhcp_run_script.so";
const kea = {
  Dhcp6: {
    // an interface's link-local address may still be tentative when Kea starts: it tries again
    "interfaces-config": {
      interfaces: ["@interfaces@"],
      "service-sockets-max-retries": 30,
      "service-sockets-retry-wait-time": 1000,
    },
    // leases live as long as the guest: nothing to keep across boots
    "lease-database": { type: "memfile", persist: false },
    "server-id": { type: "LL", persist: false },
    "renew-timer": 1000,
    "rebind-timer": 2000,
    "preferred-lifetime": 3000,
    "valid-lifetime": 4000,
    "option-data": [{ name: "dns-servers", data: ispWan.v6 }],
    subnet6: ["@subnets@"],
    "hooks-libraries": [
      {
        library: runScriptHook,
        parameters: { name: leaseEvent, sync: false },
      },
    ],
    loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" }],
  },
};

// Kea's run_script hook calls this at lease events (the hook point first), the leases in its
// environment: as a real ISP does, route each delegated prefix to the router that holds it (the
// link-local address its request came from), and withdraw the route when the lease ends.
// Addresses need no route: they are on the link's /64.
const leaseScript = String.raw`#!/bin/sh
case "$1" in
  leases6_committed)
    i=0
    while [ "$i" -lt "$LEASES6_SIZE" ]; do
      eval "a=\$LEASES6_AT$i""_ADDRESS n=\$LEASES6_AT$i""_PREFIX_LEN t=\$LEASES6_AT$i""_TYPE"
      if [ "$t" = IA_PD ]; then
        echo "lease-event: $a/$n via $QUERY6_REMOTE_ADDR dev $QUERY6_IFACE_NAME"
        ip -6 route replace "$a/$n" via "$QUERY6_REMOTE_ADDR" dev "$QUERY6_IFACE_NAME"
      fi
      i=$((i + 1))
    done ;;
  lease6_release|lease6_expire)
    [ "$LEASE6_TYPE" != IA_PD ] || ip -6 route del "$LEASE6_ADDRESS/$LEASE6_PREFIX_LEN" ;;
esac
`;

// pppd runs this as IPv6 comes up on a session, with the interface, tty, speed, then the local
// and remote link-local addresses: the ISP's end of the session's /64, which dnsmasq advertises
// from, then Kea again with the new interface's subnet. Kea reads a point-to-point address's peer
// as the interface's own and fails to bind to it: the local link-local address goes back on
// without its peer.
const ipv6Up = [
  "#!/bin/sh",
  'ip -6 address del "$4" peer "$5" dev "$1"',
  'ip -6 address add "$4/64" dev "$1"',
  'case "$1" in',
  ...links.filter((l) => l.ifname !== "eth0").map((l) => `  ${l.ifname}) ip -6 address add ${l.net}1/64 dev "$1" ;;`),
  "esac",
  "s6-svc -r /run/service/kea-dhcp6",
  "",
].join("\n");

// busybox httpd runs CGI programs with the client's address in REMOTE_ADDR
const whoami = `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' "$REMOTE_ADDR"
`;

export default defineConfig(() => {
  // every address of "the internet" is the ISP's own: on lo, where any NIC's traffic reaches it
  const internetAddresses = oneshot({
    name: "internet",
    up: [
      "ip link set dev lo up",
      ...[internet.www.v4, ...internet.resolvers].map((a) => sh`ip address add ${a}/32 dev lo`),
      sh`ip -6 address add ${internet.www.v6}/128 dev lo`,
    ].join("\n"),
  });
  // QEMU gives every guest the same MAC address unless told otherwise: the ISP takes its own
  const wan = oneshot({
    name: "isp.link",
    outputs: ["ifname"],
    up: sh`ip link set dev eth0 address ${ispMac}\nip link set dev eth0 up\necho eth0 > "$OUTPUTS/ifname"`,
    down: "ip link set dev eth0 down",
  });
  const wan4 = network.svc.address.build({
    interface: wan,
    family: "inet",
    address: ispWan.v4,
    prefixLength: ispWan.v4PrefixLength,
  });
  const wan6 = network.svc.address.build({
    interface: wan,
    family: "inet6",
    address: ispWan.v6,
    prefixLength: ispWan.v6PrefixLength,
  });
  const management = network.svc.address.build({
    interface: vlan.svc.vlan.build({ ifname: `eth0.${ispManagement.vid}`, primary: wan, vid: ispManagement.vid }),
    family: "inet",
    address: ispManagement.v4,
    prefixLength: ispManagement.prefixLength,
  });
  const hostRecords = Object.entries(zone.hosts).map(([n, a]) => `--host-record=${n}.${zone.domain},${a.v4},${a.v6}`);
  // DNS on every address (no --interface): the zone's names, NXDOMAIN for other names in the
  // zone, and for any other name the internet's web server, as if resolved recursively
  const dns = longrun({
    name: "dnsmasq",
    dependencies: [wan4, wan6, management, internetAddresses],
    run: sh`exec dnsmasq ${[
      "--keep-in-foreground",
      "--log-facility=-",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--user=dnsmasq",
      "--group=dnsmasq",
      "--dhcp-leasefile=/run/dnsmasq.leases",
      "--dhcp-authoritative",
      `--dhcp-range=${ispWan.dhcpRange.join(",")},1h`,
      `--dhcp-range=${ispManagement.dhcpRange.join(",")},1h`,
      // router advertisements (no DHCPv6: Kea's) from the segment's and each session's /64,
      // every 10 s on the sessions so that a router coming up soon has its default route
      "--dhcp-range=::,constructor:eth0,ra-only",
      "--dhcp-range=::,constructor:ppp*,ra-only",
      "--ra-param=ppp*,10",
      `--local=/${zone.domain}/`,
      ...hostRecords,
      `--address=/#/${internet.www.v4}`,
      `--address=/#/${internet.www.v6}`,
    ]}`,
  });
  const dhcp6 = longrun({
    name: "kea-dhcp6",
    dependencies: [wan6],
    files: {
      [keaTemplate]: { type: "file", content: JSON.stringify(kea, null, 1) + "\n" },
      [leaseEvent]: { type: "file", content: leaseScript, mode: 0o755 },
      ...Object.fromEntries(
        links.map((l) => [`${keaSubnets}/${l.ifname}.json`, { type: "file", content: JSON.stringify(l.subnet) }]),
      ),
    },
    run: [
      "mkdir -p /run/kea",
      'ifs=""; subnets=""',
      sh`for f in ${keaSubnets}/*.json; do`,
      '  i="${f##*/}"; i="${i%.json}"',
      '  [ -e "/sys/class/net/$i" ] || continue',
      String.raw`  ifs="$ifs,\"$i\""; subnets="$subnets,$(cat "$f")"`,
      "done",
      // (JSON has no "#" to clash with sed's delimiter)
      String.raw`sed -e "s#\"@interfaces@\"#$(echo "$ifs" | cut -c2-)#" -e "s#\"@subnets@\"#$(echo "$subnets" | cut -c2-)#" ` +
        sh`${keaTemplate} > ${keaConf}`,
      "export KEA_PIDFILE_DIR=/run/kea KEA_LOCKFILE_DIR=none",
      sh`exec kea-dhcp6 -c ${keaConf}`,
    ].join("\n"),
  });
  const pppoe = longrun({
    name: "pppoe-server",
    files: {
      [pppOptions]: { type: "file", content: serverOptions },
      "/etc/ppp/ipv6-up": { type: "file", content: ipv6Up, mode: 0o755 },
      "/etc/ppp/chap-secrets": { type: "file", content: secrets, mode: 0o600 },
      "/etc/ppp/pap-secrets": { type: "file", content: secrets, mode: 0o600 },
    },
    // Debian's pppoe-server has no kernel mode: each session is pppd on a pty running pppoe, in
    // asynchronous PPP (synchronous, -s, needs the N_HDLC line discipline Debian's arm64 kernel
    // lacks); -F: in the foreground for s6
    dependencies: [wan4],
    // pppd's asynchronous tty discipline on the pty (the pty itself is the base system's devpts)
    kernelModules: ["ppp_generic", "ppp_async"],
    run: sh`exec pppoe-server -F -I eth0 -L ${ispPppoe.local} -R ${ispPppoe.firstRemote} -N ${ispPppoe.sessions} -O ${pppOptions}`,
  });
  // the LNS: one tunnel and call per router, pppd on the kernel's PPPoL2TP socket with the
  // PPPoE side's options and pool (a lab has one router, on one of the two)
  const last = dottedQuad(ipv4(ispPppoe.firstRemote)! + ispPppoe.sessions - 1);
  const lns = longrun({
    name: "xl2tpd",
    dependencies: [wan4],
    files: {
      [lnsConf]: {
        type: "file",
        content: [
          "[global]",
          "[lns default]",
          `ip range = ${ispPppoe.firstRemote}-${last}`,
          `local ip = ${ispPppoe.local}`,
          `pppoptfile = ${pppOptions}`,
          // pppd authenticates the peer (its options' auth), not xl2tpd
          "require authentication = no",
          "",
        ].join("\n"),
      },
    },
    kernelModules: ["l2tp_core", "l2tp_ppp"],
    run: ["mkdir -p /run/xl2tpd", sh`exec xl2tpd -D -c ${lnsConf} -p /run/xl2tpd/pid -C /run/xl2tpd/control`].join(
      "\n",
    ),
  });
  const http = longrun({
    name: "httpd",
    dependencies: [internetAddresses],
    files: { [`${www}${whoamiPath}`]: { type: "file", content: whoami, mode: 0o755 } },
    run: sh`exec httpd -f -v -p 80 -h ${www}`,
  });
  return {
    imports: [console, network, dnsmasq, ntp, vlan],
    hostname: ispHostname,
    // the ISP sends router advertisements and takes none: not even its own, which a session's
    // ppp interface would hear back, and QEMU's multicast segment echoes
    sysctl: { "net.ipv6.conf.default.accept_ra": 0, "net.ipv6.conf.eth0.accept_ra": 0 },
    users: {
      root: {
        passwd:
          "$6$6HG7WALLQQY1LQDE$428cnouMJ7wVmyK9.dF1uWs7t0z9ztgp3MHvN5bbeo0M4Kqg/u2ThjoSHIjCEJQlnVpDOaEKcOjXAlIClHWN21",
      },
    },
    services: {
      internetAddresses,
      dns,
      dhcp6,
      pppoe,
      lns,
      http,
      // serves its own clock to anyone, as if it were a stratum-1 server
      ntp: ntp.svc.ntp.build({ allow: ["all"], extraConfig: "local stratum 1" }),
      console: console.svc.getty.build({}),
    },
    packages: [
      "pppoe",
      { name: "ppp", files: ["/usr/sbin/pppd", "/usr/sbin/pppoe-discovery", "/usr/lib/pppd/2.4.9/pppol2tp.so"] },
      { name: "xl2tpd", files: ["/usr/sbin/xl2tpd"] },
      { name: "kea-dhcp6-server", files: ["/usr/sbin/kea-dhcp6"] },
      { name: "kea-common", files: [runScriptHook] },
    ],
    programs: {
      busybox: {
        applets: [
          "httpd",
          "printf",
          "ps",
          "grep",
          "nslookup",
          "wget",
          "netstat",
          "nc",
          "pidof",
          "timeout",
          "traceroute",
        ],
      },
    },
    defaultProfile: { packages: [{ name: "iproute2", files: ["/bin/ip", "/bin/ss"] }] },
  };
});
