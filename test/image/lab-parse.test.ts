// The lab's readers of guest output, on outputs captured from real runs, and the topology it
// reads from a compiled configuration (examples/dhcp-wan.ts, and configurations without a WAN or LAN).
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { loadConfig, loadDevice } from "../../image/config/load.ts";
import {
  inPrefix6,
  inRange,
  ipv6,
  parseIpAddresses,
  parseLease,
  parseNslookup,
  parseOutputs,
  parsePppdFailure,
  parsePppol2tp,
  parseClockOffset,
  parseConnect,
  parseDbclientExit,
  parseForwardingSamples,
  parseSshSession,
  parseSvcStatus,
  parseSvstat,
  parseTracking,
  parseUptime,
  parseWhoami,
  parseUdpListeners,
  parseUdpProbe,
  parseHostapdStatus,
  parseRadios,
  parseStationTimes,
} from "../../image/lab/parse.ts";
import { topology, TopologyError } from "../../image/lab/topology.ts";

describe("parseLease", () => {
  it("reads the last lease line the client's udhcpc script printed", () => {
    const text = [
      "udhcpc: lease of 10.5.0.177 obtained from 10.5.0.1, lease time 3600",
      "LEASE ip=10.5.0.177 mask=16 router=10.5.0.1 dns=10.5.0.1 domain=lan.test",
      "LEASE ip=10.5.0.5 mask=16 router=10.5.0.1 dns=10.5.0.1,10.5.0.2 domain=",
    ].join("\n");
    expect(parseLease(text)).toEqual({
      ip: "10.5.0.5",
      mask: 16,
      router: "10.5.0.1",
      dns: ["10.5.0.1", "10.5.0.2"],
      domain: "",
    });
  });
  it("is null without a lease", () => {
    expect(parseLease("udhcpc: broadcasting discover\nudhcpc: no lease, failing\n")).toBeNull();
  });
});

describe("parseNslookup", () => {
  it("separates the server's address from the answers", () => {
    const text =
      "Server:\t\t10.5.0.1\nAddress:\t10.5.0.1:53\n\nName:\twww.isp.test\nAddress: 203.0.113.1\n\nName:\twww.isp.test\nAddress: 2001:db8:ffff::1\n";
    expect(parseNslookup(text)).toEqual({
      server: "10.5.0.1",
      addresses: ["203.0.113.1", "2001:db8:ffff::1"],
      error: null,
    });
  });
  it("reports NXDOMAIN and an unreachable server", () => {
    const nx = "Server:\t\t9.9.9.9\nAddress:\t9.9.9.9:53\n\n** server can't find nope.isp.test: NXDOMAIN\n";
    expect(parseNslookup(nx)).toMatchObject({ addresses: [], error: "NXDOMAIN" });
    expect(parseNslookup(";; connection timed out; no servers could be reached\n").error).toMatch(/timed out/);
  });
});

describe("parseWhoami", () => {
  it("unwraps busybox httpd's IPv4-mapped and bracketed addresses", () => {
    expect(parseWhoami("[::ffff:192.0.2.158]\n")).toBe("192.0.2.158");
    expect(parseWhoami("[2001:db8:100::5]\n")).toBe("2001:db8:100::5");
    expect(parseWhoami("Segmentation fault\n")).toBeNull();
  });
});

describe("parseSvstat", () => {
  it("tells up, ready and down apart, and for how long it has been ready", () => {
    expect(parseSvstat("up (pid 119) 33 seconds, normally down, ready 2 seconds\n")).toEqual({
      up: true,
      ready: true,
      readyFor: 2,
    });
    expect(parseSvstat("up (pid 126) 10 seconds, normally down, ready 0 seconds\n")?.readyFor).toBe(0);
    expect(parseSvstat("up (pid 119) 3 seconds, normally down\n")).toEqual({ up: true, ready: false, readyFor: null });
    expect(parseSvstat("down (exitcode 0) 36 seconds, ready 36 seconds\n")).toEqual({
      up: false,
      ready: false,
      readyFor: null,
    });
    expect(parseSvstat("s6-svstat: fatal: unable to read status\n")).toBeNull();
  });
});

it("parseUptime reads /proc/uptime's seconds since boot", () => {
  expect(parseUptime("16.73 6.14\n")).toBe(16.73);
  expect(parseUptime("cat: can't open '/proc/uptime'\n")).toBeNull();
});

it("parseOutputs reads svc outputs' key=value lines, empty values and spaces kept", () => {
  const text =
    "address=100.64.0.100\ndns=192.0.2.1 192.0.2.1\nifname=ppp0\npeer-address=100.64.0.1\nwifi/passphrase=\n";
  expect(parseOutputs(text)).toEqual({
    address: "100.64.0.100",
    dns: "192.0.2.1 192.0.2.1",
    ifname: "ppp0",
    "peer-address": "100.64.0.1",
    "wifi/passphrase": "",
  });
  expect(parseOutputs("svc: no service nope\n")).toEqual({});
});

describe("parseIpAddresses", () => {
  it("reads a point-to-point link's address and peer", () => {
    const text = [
      "5: ppp0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1492 qdisc fq_codel state UNKNOWN group default qlen 3",
      "    link/ppp ",
      "    inet 100.64.0.100 peer 100.64.0.1/32 scope global ppp0",
      "       valid_lft forever preferred_lft forever",
      "    inet6 fe80::d93c:5609:bda2:b2f6 peer fe80::8c6d:21d:5ba2:c59a/128 scope link ",
    ].join("\n");
    expect(parseIpAddresses(text)).toEqual([
      { family: "inet", address: "100.64.0.100", peer: "100.64.0.1", prefixLength: 32 },
      { family: "inet6", address: "fe80::d93c:5609:bda2:b2f6", peer: "fe80::8c6d:21d:5ba2:c59a", prefixLength: 128 },
    ]);
  });
  it("reads an Ethernet's addresses without a peer, and nothing from an error", () => {
    expect(parseIpAddresses("2: eth1    inet 10.6.0.1/16 brd 10.6.255.255 scope global eth1")).toEqual([
      { family: "inet", address: "10.6.0.1", peer: null, prefixLength: 16 },
    ]);
    expect(parseIpAddresses('Device "ppp0" does not exist.\n')).toEqual([]);
  });
});

describe("parsePppol2tp", () => {
  const header = [
    "PPPoL2TP driver info, V2.0",
    "TUNNEL name, user-data-ok session-count",
    " debug tx-pkts/bytes/errs rx-pkts/bytes/errs",
    "  SESSION name, addr/port src-tid/sid dest-tid/sid state user-data-ok",
    "   mtu/mru/rcvseq/sendseq/lns debug reorderto",
    "   nr/ns tx-pkts/bytes/errs rx-pkts/bytes/errs",
  ];
  const session = (addr: string, mode: string, ifname: string[]) => [
    "",
    "TUNNEL 'tunl 51018', Y 1",
    " 00000000 12/840/0 14/1000/0",
    `  SESSION 'sess 51018/21867' ${addr}/1701 C74A/556B -> 54F0/7CC1 1 Y`,
    `   0/0/-/-/${mode} 00000000 0`,
    "   0/0 10/200/0 12/300/0",
    ...ifname,
  ];

  it("reads each session's own end, mode and PPP interface", () => {
    const text = [
      ...header,
      ...session("C000029E", "LAC", ["   interface ppp0"]),
      ...session("C0000201", "LNS", []),
    ].join("\n");
    expect(parsePppol2tp(text)).toEqual([
      { local: "192.0.2.158", port: 1701, mode: "LAC", ifname: "ppp0" },
      { local: "192.0.2.1", port: 1701, mode: "LNS", ifname: null },
    ]);
  });

  it("finds none in the header alone or an error", () => {
    expect(parsePppol2tp(header.join("\n"))).toEqual([]);
    expect(parsePppol2tp("cat: can't open '/proc/net/pppol2tp': No such file or directory")).toEqual([]);
  });
});

it("parseTracking reads chronyc tracking's reference and stratum", () => {
  const text = [
    "Reference ID    : CB007101 (203.0.113.1)",
    "Stratum         : 2",
    "Ref time (UTC)  : Thu Dec 03 08:03:31 2026",
    "System time     : 0.131450504 seconds fast of NTP time",
  ].join("\n");
  expect(parseTracking(text)).toEqual({ reference: "203.0.113.1", stratum: 2 });
  expect(parseTracking("506 Cannot talk to daemon\n")).toEqual({ reference: "", stratum: null });
});

it("parseClockOffset reads chronyd -Q's offset, null when no server answered", () => {
  const text = [
    "2026-12-03T08:03:32Z Disabled control of system clock",
    "2026-12-03T08:03:32Z System clock wrong by 0.420738 seconds (ignored)",
    "2026-12-03T08:03:32Z chronyd exiting",
  ].join("\n");
  expect(parseClockOffset(text)).toBe(0.420738);
  expect(parseClockOffset("2026-12-03T08:03:32Z System clock wrong by -3.5 seconds (ignored)")).toBe(-3.5);
  expect(parseClockOffset("2026-12-03T08:03:32Z No suitable source for synchronisation\n")).toBeNull();
});

it("parseConnect tells an open, a refused and a dropped connection apart", () => {
  // the wrapped echo of the command line may come first
  expect(parseConnect("5013302__$?\nnc rc=0 SSH-2.0-dropbear_2022.83hiTlcurve255\n")).toBe("open");
  expect(parseConnect("nc rc=143 Terminated\n")).toBe("dropped");
  expect(parseConnect("nc rc=124 \n")).toBe("dropped");
  expect(parseConnect("nc rc=1 nc cant connect to remote host 100.64.0.100 Connection refused\n")).toBe("refused");
  expect(parseConnect("nc rc=1 nc bad address nowhere\n")).toBeNull();
  expect(parseConnect("-sh: nc: not found\n")).toBeNull();
});

it("parseUdpProbe tells the router's port unreachable from silence", () => {
  const head = "traceroute to 100.64.0.100 (100.64.0.100), 1 hops max, 46 byte packets\n";
  expect(parseUdpProbe(`${head} 1  100.64.0.100  3.465 ms\n`, "100.64.0.100")).toBe("reached");
  expect(parseUdpProbe(`${head} 1  *\n`, "100.64.0.100")).toBe("dropped");
  // another hop answering (time exceeded) says nothing about the router's firewall
  expect(parseUdpProbe(`${head} 1  192.0.2.7  1.2 ms\n`, "100.64.0.100")).toBeNull();
  expect(parseUdpProbe("-sh: traceroute: not found\n", "100.64.0.100")).toBeNull();
});

it("parseUdpListeners reads the local ports of /proc/net/udp and udp6", () => {
  const text = [
    "   sl  local_address rem_address   st tx_queue rx_queue tr tx_retrnsmt   uid  timeout inode ref pointer drops",
    "  291: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2911 2 0000000000000000 0",
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
    "  546: 00000000000000000000000000000000:0222 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3120 2 0000000000000000 0",
  ].join("\n");
  expect(parseUdpListeners(text)).toEqual([53, 546]);
});

it("parseSvcStatus reads each service's state and since", () => {
  const text = [
    "firewall up oneshot since=2026-12-03T07:56:22Z",
    "wan.link.pppoe up longrun pid=160 ready=yes since=2026-12-03T07:56:24Z",
  ].join("\n");
  expect(parseSvcStatus(text)).toEqual({
    firewall: { state: "up", since: "2026-12-03T07:56:22Z" },
    "wan.link.pppoe": { state: "up", since: "2026-12-03T07:56:24Z" },
  });
});

it("parsePppdFailure gives pppd's last reason for having no link, with its detail", () => {
  const refused = [
    "2026-12-03 08:15:59.565240724 wan.link.pppoe: Connect: ppp0 <--> eth0",
    "2026-12-03 08:16:02.616834324 wan.link.pppoe: CHAP authentication failed: Access denied",
    "2026-12-03 08:16:02.616875684 wan.link.pppoe: CHAP authentication failed",
    "2026-12-03 08:16:02.626582500 wan.link.pppoe: Connection terminated.",
  ].join("\n");
  expect(parsePppdFailure(refused)).toBe("CHAP authentication failed: Access denied");
  expect(parsePppdFailure("x wan.link.pppoe: Timeout waiting for PADO packets\n")).toBe(
    "Timeout waiting for PADO packets",
  );
  expect(parsePppdFailure("x wan.link.pppoe: No response to 4 echo-requests\n")).toBe("No response to 4 echo-requests");
  expect(parsePppdFailure("x wan.link.pppoe: local  IP address 100.64.0.100\n")).toBeNull();
});

it("parseSshSession reads the remote shell's terminal and option letters, not the typed lines' echo", () => {
  const session = [
    "Host '10.8.0.1' key accepted unconditionally.",
    "~ # \x1b[6nls -l /proc/$$/fd/0",
    "lrwx------    1 root     root            64 Dec  3 09:52 /proc/208/fd/0 -> /dev/pts/0",
    '~ # \x1b[6necho "flags $-"',
    "flags smi",
    "~ # \x1b[6nexit",
  ].join("\r\n");
  expect(parseSshSession(session)).toEqual({ tty: "/dev/pts/0", flags: "smi" });
  expect(parseSshSession('l-wx------ 1 root root 64 /proc/9/fd/0 -> pipe:[1]\necho "flags $-"\n')).toEqual({
    tty: null,
    flags: null,
  });
});

it("parseDbclientExit gives Dropbear's client's reason for ending", () => {
  expect(parseDbclientExit("dbclient: Connection to root@10.8.0.1:22 exited: No auth methods could be used.\n")).toBe(
    "No auth methods could be used.",
  );
  expect(parseDbclientExit("dbclient: Exited: Error connecting: Connection refused\n")).toBe(
    "Error connecting: Connection refused",
  );
  expect(parseDbclientExit("in\n")).toBeNull();
});

it("parseForwardingSamples counts the samples that forward with no ruleset", () => {
  expect(parseForwardingSamples("    812 1 1 1\n     40 0 0 1\n")).toEqual({ open: 0, samples: 852 });
  expect(parseForwardingSamples("    812 1 1 1\n      3 1 0 0\n      2 0 1 0\n      9 0 0 0\n")).toEqual({
    open: 5,
    samples: 826,
  });
  expect(parseForwardingSamples("sort: /tmp/fw-samples: No such file\n")).toEqual({ open: 0, samples: 0 });
});

it("inRange compares IPv4 addresses numerically", () => {
  expect(inRange("10.5.0.177", "10.5.0.10", "10.5.0.240")).toBe(true);
  expect(inRange("10.5.0.9", "10.5.0.10", "10.5.0.240")).toBe(false);
  expect(inRange("not an address", "10.5.0.10", "10.5.0.240")).toBe(false);
});

it("parseHostapdStatus reads hostapd_cli status, the first BSS's keys with their index", () => {
  const status = parseHostapdStatus(
    "state=ENABLED\nphy=phy0\nfreq=2412\nchannel=1\nbss[0]=wlan0\nbssid[0]=02:00:00:00:00:00\nssid[0]=my net\nnum_sta[0]=0\n",
  );
  expect(status).toMatchObject({ state: "ENABLED", channel: "1", "ssid[0]": "my net", "bss[0]": "wlan0" });
  expect(parseHostapdStatus("Failed to connect to hostapd - wpa_ctrl_open: No such file or directory\n")).toEqual({});
});

it("parseRadios reads the lab's listing of wireless interfaces and their phys", () => {
  const listing = "RADIO wlan0 phy0\nRADIO wlan1 phy1\nRADIO wlan2 phy2\n";
  expect(parseRadios(listing)).toEqual([
    { ifname: "wlan0", phy: "phy0" },
    { ifname: "wlan1", phy: "phy1" },
    { ifname: "wlan2", phy: "phy2" },
  ]);
  // the echoed command line is not a radio
  expect(parseRadios('for l in /sys/class/net/*/phy80211; do echo "RADIO ${d##*/} $(cat "$l/name")"; done\n')).toEqual(
    [],
  );
});

it("parseStationTimes reads the station's uptimes, an empty one as never", () => {
  expect(parseStationTimes("LEASE ip=10.8.0.12\nSTA-TIMES start=101.25 associated=103.5 leased=104.75\n")).toEqual({
    start: 101.25,
    associated: 103.5,
    leased: 104.75,
  });
  expect(parseStationTimes("STA-TIMES start=101.25 associated= leased=\n")).toEqual({
    start: 101.25,
    associated: null,
    leased: null,
  });
  expect(parseStationTimes('echo "STA-TIMES start=$t0 associated=$t1 leased=$t2"\n')).toBeNull();
});

describe("ipv6 and inPrefix6", () => {
  it("read every spelling of an address to the same number", () => {
    expect(ipv6("2001:db8:100::1")).toBe(ipv6("2001:0db8:0100:0000:0000:0000:0000:0001"));
    expect(ipv6("::")).toBe(0n);
    expect(ipv6("::1")).toBe(1n);
    expect(ipv6("fe80::")).toBe(0xfe80n << 112n);
    expect(ipv6("2001:db8:100:0:e269:95ff:fef3:8b12")).toBe(0x20010db801000000e26995fffef38b12n);
  });
  it("refuse what is not an IPv6 address", () => {
    for (const bad of [
      "",
      "10.8.0.1",
      "2001:db8::1::2",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "2001:db8::g",
      "1:2:3:4::5:6:7:8",
    ])
      expect(ipv6(bad), bad).toBeNull();
  });
  it("places an address in a prefix by its leading bits", () => {
    expect(inPrefix6("2001:db8:100:0:e269:95ff:fef3:8b12", "2001:db8:100::/56")).toBe(true);
    expect(inPrefix6("2001:db8:1ff::1", "2001:db8:100::/40")).toBe(true);
    expect(inPrefix6("2001:db8:200::1", "2001:db8:100::/40")).toBe(false);
    expect(inPrefix6("2001:db8:100:100::1", "2001:db8:100::/56")).toBe(false);
    expect(inPrefix6("fe80::1", "::/0")).toBe(true);
    expect(inPrefix6("2001:db8::1", "2001:db8::/129")).toBe(false);
    expect(inPrefix6("10.8.0.1", "::/0")).toBe(false);
  });
});

describe("topology", () => {
  const system = async (config: string) =>
    compile(evaluate(await loadConfig(config), await loadDevice("qemu-aarch64")));

  it("finds the DHCP WAN, the LAN's address, range, fixed host and the NAT", async () => {
    expect(topology(await system("examples/dhcp-wan.ts"), "examples/dhcp-wan.ts")).toEqual({
      hostname: "gateway",
      kind: "router",
      wap: null,
      wan: { kind: "dhcp", service: "wan.link.dhcpc", lcpEcho: null, upstream: null },
      lan: {
        service: "dnsmasq",
        address: "10.5.0.1",
        prefixLength: 16,
        ranges: [["10.5.0.10", "10.5.0.240"]],
        hosts: [{ name: "printer", mac: "52:54:00:12:34:99", v4: "10.5.0.5" }],
        domain: "lan.test",
      },
      nat: ["firewall"],
      forwarding: ["forwarding"],
      openToWan: [],
      ipv6: { client: "wan.link.dhcp6c", prefix: "lan.link.prefix6" },
      ntp: { service: "ntp", allow: ["10.5.0.0/16"] },
      ssh: { service: "sshd", port: 22, keyUser: "root", passwordRefused: true },
      stores: [],
      consoleLogin: true,
      // its LAN port is no bridge's member
      bridge: null,
      wifi: [],
    });
  });

  it("finds rotuer's PPPoE WAN and its bridged LAN", async () => {
    const t = topology(await system("examples/rotuer.ts"), "examples/rotuer.ts");
    expect(t.wan).toEqual({
      kind: "pppoe",
      service: "wan.link.pppoe",
      lcpEcho: { interval: 5, failure: 4 },
      upstream: null,
    });
    expect(t.openToWan).toEqual([{ protocol: "tcp", ports: [22] }]);
    expect(t.ntp).toEqual({ service: "ntp", allow: ["10.8.0.0/16"] });
    expect(t.lan.address).toBe("10.8.0.1");
    // DHCPv6 on the PPP link, its delegated prefix on the LAN's bridge
    expect(t.ipv6).toEqual({ client: "wan.link.pppoe.dhcp6c", prefix: "int.bridge.prefix6" });
    // its secrets come from a store the lab makes; no console login: the lab brings its shell
    expect(t.stores).toEqual([
      {
        service: "secrets",
        params: {
          device: "/dev/vdb",
          fstype: "ext4",
          folder: "/secrets",
          keys: ["ppp/username", "ppp/password", "wifi/passphrase"],
        },
      },
    ]);
    expect(t.consoleLogin).toBe(false);
    // key-only ssh, root's keys also from run.sh (the lab's own)
    expect(t.ssh).toEqual({ service: "sshd", port: 22, keyUser: "root", passwordRefused: true });
    // two access points on the radios' interfaces, the passphrase from the store
    const passphrase = { service: "secrets", path: "wifi/passphrase" };
    expect(t.wifi).toEqual([
      { service: "wlan.link.hostapd", ifname: "wlan0", ssid: "rotuer", hwMode: "g", channel: 1, passphrase },
      { service: "wlan5.link.hostapd", ifname: "wlan1", ssid: "rotuer5", hwMode: "a", channel: 36, passphrase },
    ]);
    // the wired LAN port joins the bridge through its own ifwait
    expect(t.bridge).toEqual({
      service: "int.bridge.members",
      ifname: "int",
      port: { service: "lan.link", ifname: "eth1", join: "int.bridge.member.lan.link" },
    });
  });

  it("finds examples/router-with-l2tp.ts's L2TP WAN over the DHCP client under it", async () => {
    const t = topology(await system("examples/router-with-l2tp.ts"), "examples/router-with-l2tp.ts");
    // the tunnel is the WAN, not the lease it runs over
    expect(t.wan).toEqual({
      kind: "l2tp",
      service: "wan.l2tp",
      lcpEcho: { interval: 5, failure: 4 },
      upstream: "wan.link.dhcpc",
    });
    expect(t.lan).toMatchObject({ address: "10.9.0.1", ranges: [["10.9.0.10", "10.9.0.240"]] });
    expect(t.nat).toEqual(["firewall"]);
    expect(t.ipv6).toEqual({ client: null, prefix: null });
    expect(t.stores.map((s) => s.service)).toEqual(["secrets"]);
  });

  it("finds an access point: no WAN, the main router's LAN, its bridge and management VLAN", async () => {
    const t = topology(await system("examples/access-point.ts"), "examples/access-point.ts");
    expect(t).toMatchObject({
      kind: "wap",
      wan: null,
      lan: { service: "the main router", address: "192.0.2.1", ranges: [["192.0.2.100", "192.0.2.199"]] },
      nat: [],
      forwarding: [],
      ipv6: { client: null, prefix: null },
      ntp: null,
      wap: {
        service: "wap",
        dhcp: "int.10.link.dhcpc",
        management: { vid: 10, ifname: "int.10", dhcp: "int.10.link.dhcpc" },
      },
      bridge: { service: "int.bridge.members", ifname: "int", port: { service: "lan.link", ifname: "eth1" } },
    });
  });

  it("finds examples/pppoe-wan.ts's PPPoE WAN, its LAN, NAT and secrets store", async () => {
    const t = topology(await system("examples/pppoe-wan.ts"), "examples/pppoe-wan.ts");
    // the template's default LCP echoes
    expect(t.wan).toEqual({
      kind: "pppoe",
      service: "wan.link.pppoe",
      lcpEcho: { interval: 10, failure: 3 },
      upstream: null,
    });
    expect(t.lan).toMatchObject({ address: "10.6.0.1", ranges: [["10.6.0.10", "10.6.0.240"]] });
    expect(t.nat).toEqual(["firewall"]);
    expect(t.stores.map((s) => [s.service, s.params.device, s.params.keys])).toEqual([
      ["secrets", "/dev/vdb", ["ppp/username", "ppp/password"]],
    ]);
    expect(t.consoleLogin).toBe(false);
  });

  it("refuses a configuration without a WAN, naming the file", async () => {
    const hello = await system("examples/hello-from-qemu.ts");
    expect(() => topology(hello, "examples/hello-from-qemu.ts")).toThrow(TopologyError);
    expect(() => topology(hello, "examples/hello-from-qemu.ts")).toThrow(/^examples\/hello-from-qemu\.ts: no WAN/);
  });

  it("refuses a configuration without a LAN, naming the file", async () => {
    const d = await system("examples/dhcp-wan.ts");
    const noLan = { ...d, services: Object.fromEntries(Object.entries(d.services).filter(([n]) => n !== "dnsmasq")) };
    expect(() => topology(noLan, "x.ts")).toThrow(/^x\.ts: no LAN/);
  });
});
