// The lab's ISP: a Limen image for qemu-aarch64 that plays the router's upstream and the whole
// internet. On its first NIC (the router's WAN segment) it serves PPPoE (rp-pppoe's pppoe-server
// with pppd, CHAP or PAP), DHCPv4 and DNS (dnsmasq), DHCPv6 with prefix delegation (Kea); on its
// loopback it holds the addresses of "the internet" (image/lab/plan.ts), where DNS, NTP (chrony)
// and HTTP (busybox httpd, answering with the client's source address) answer too. Its second
// NIC is unused, and its own MAC address on the first. The console password is "secret".
import { defineConfig, longrun, oneshot, sh } from "../config/index.ts";
import console from "../../services/console/index.ts";
import dnsmasq from "../../services/dnsmasq/index.ts";
import network from "../../services/network/index.ts";
import ntp from "../../services/ntp/index.ts";
import { internet, ispHostname, ispPppoe, ispWan, whoamiPath, zone } from "./plan.ts";

const pppOptions = "/etc/limen/ppp/pppoe-server-options";
const keaConf = "/etc/limen/kea/dhcp6.json";
const www = "/srv/www";
const ispMac = "52:54:00:15:50:01";

// pppd on the ISP's end of each session: authenticate the peer by CHAP or PAP (whichever it
// accepts) with the secrets below, notice a dead peer, and offer the ISP's resolver.
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

const kea = {
  Dhcp6: {
    "interfaces-config": { interfaces: ["eth0"] },
    // leases live as long as the guest: nothing to keep across boots
    "lease-database": { type: "memfile", persist: false },
    "server-id": { type: "LL", persist: false },
    "renew-timer": 1000,
    "rebind-timer": 2000,
    "preferred-lifetime": 3000,
    "valid-lifetime": 4000,
    "option-data": [{ name: "dns-servers", data: ispWan.v6 }],
    subnet6: [
      {
        id: 1,
        subnet: `${ispWan.v6}/${ispWan.v6PrefixLength}`.replace("::1/", "::/"),
        interface: "eth0",
        pools: [{ pool: ispWan.dhcp6Range.join("-") }],
        "pd-pools": [
          {
            prefix: ispWan.delegated.prefix,
            "prefix-len": ispWan.delegated.length,
            "delegated-len": ispWan.delegated.delegatedLength,
          },
        ],
      },
    ],
    loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" }],
  },
};

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
  const hostRecords = Object.entries(zone.hosts).map(([n, a]) => `--host-record=${n}.${zone.domain},${a.v4},${a.v6}`);
  // DNS on every address (no --interface): the zone's names, NXDOMAIN for other names in the
  // zone, and for any other name the internet's web server, as if resolved recursively
  const dns = longrun({
    name: "dnsmasq",
    dependencies: [wan4, wan6, internetAddresses],
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
      `--local=/${zone.domain}/`,
      ...hostRecords,
      `--address=/#/${internet.www.v4}`,
      `--address=/#/${internet.www.v6}`,
    ]}`,
  });
  const dhcp6 = longrun({
    name: "kea-dhcp6",
    dependencies: [wan6],
    files: { [keaConf]: { type: "file", content: JSON.stringify(kea, null, 1) + "\n" } },
    run: [
      "mkdir -p /run/kea",
      "export KEA_PIDFILE_DIR=/run/kea KEA_LOCKFILE_DIR=none",
      sh`exec kea-dhcp6 -c ${keaConf}`,
    ].join("\n"),
  });
  const pppoe = longrun({
    name: "pppoe-server",
    files: {
      [pppOptions]: { type: "file", content: serverOptions },
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
  const http = longrun({
    name: "httpd",
    dependencies: [internetAddresses],
    files: { [`${www}${whoamiPath}`]: { type: "file", content: whoami, mode: 0o755 } },
    run: sh`exec httpd -f -v -p 80 -h ${www}`,
  });
  return {
    imports: [console, network, dnsmasq, ntp],
    hostname: ispHostname,
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
      http,
      // serves its own clock to anyone, as if it were a stratum-1 server
      ntp: ntp.svc.ntp.build({ allow: ["all"], extraConfig: "local stratum 1" }),
      console: console.svc.getty.build({}),
    },
    packages: [
      "pppoe",
      { name: "ppp", files: ["/usr/sbin/pppd", "/usr/sbin/pppoe-discovery"] },
      { name: "kea-dhcp6-server", files: ["/usr/sbin/kea-dhcp6"] },
    ],
    programs: {
      busybox: { applets: ["httpd", "printf", "ps", "grep", "nslookup", "wget", "netstat", "nc", "pidof", "timeout"] },
    },
    defaultProfile: { packages: [{ name: "iproute2", files: ["/bin/ip", "/bin/ss"] }] },
  };
});
