// The lab on examples/rotuer.ts on qemu-aarch64, one boot shared by every check: its PPP
// credentials come from the secrets store's disk the lab makes, and the lab drives it through its
// own shell (rotuer's root has no password). Every check passes: the PPPoE session, the LAN behind
// its bridge (whose members wait for its two access points on the emulated radios), DNS, NAT,
// IPv6 from a delegated prefix, chrony synchronised from the ISP, the firewall's opened ssh port
// and dropped others, ssh by key from the LAN, a silently dropped session coming back by LCP echo,
// and forwarding that never runs without the ruleset (the lab breaks it on purpose).
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { labRun } from "../lib/lab.ts";

describe("npm run lab on examples/rotuer.ts", { timeout: 1_200_000 }, () => {
  it("brings up its PPPoE WAN from the secrets store, IPv6, syncs its clock, opens ssh only, reconnects", async () => {
    const { report, rows, all } = await labRun("examples/rotuer.ts", 24720);
    expect(report.checks.map((c) => c.name)).toEqual([
      "wan.up",
      "wan.l2tp",
      "lan.dhcp4",
      "lan.dns",
      "nat4",
      "ipv6",
      "ntp",
      "bridge.updown",
      "vlan",
      "ssh",
      "wifi.ap",
      "wifi.sta",
      "fw.inbound",
      "wan.reconnect",
      "fw.closed",
    ]);
    // a PPPoE WAN: no tunnel
    expect(
      report.checks.filter((c) => c.status !== "pass").map((c) => [c.name, c.status, c.detail]),
      all,
    ).toEqual([
      ["wan.l2tp", "n/a", "a pppoe WAN: no L2TP tunnel"],
      ["vlan", "n/a", "no management VLAN"],
    ]);
    expect(rows["wan.up"].detail).toMatch(/^wan\.link\.pppoe ready: ppp0 100\.64\.0\.\d+ peer 100\.64\.0\.1/);
    // a /56 of the ISP's 2001:db8:100::/40, the client's SLAAC address in it seen as the source
    expect(rows["ipv6"].detail, all).toMatch(
      /^wan\.link\.pppoe\.dhcp6c got 2001:db8:1[0-9a-f:]+\/56; the client took 2001:db8:[0-9a-f:]+ by SLAAC; the ISP's web server saw it as the source$/,
    );
    // both access points on the emulated radios, as configured
    expect(rows["wifi.ap"].detail, all).toBe(
      'wlan0 ENABLED "rotuer" channel 1 AP-ENABLED; wlan1 ENABLED "rotuer5" channel 36 AP-ENABLED',
    );
    // a station on the spare third radio, in a namespace of its own, with the store's passphrase:
    // a lease over the bridge, NAT to the ISP; the wrong passphrase refused
    expect(rows["wifi.sta"].detail, all).toMatch(
      /^wlan2 \(phy2, own namespace\) associated with "rotuer" on wlan0 in [\d.]+ s; lease 10\.8\.\d+\.\d+\/16 from dnsmasq [\d.]+ s later; NAT to the ISP as 100\.64\.0\.\d+; a wrong passphrase refused$/,
    );
    expect(report.times["wifi.sta association to lease"]).toBeGreaterThan(0);
    // over IPv4 or IPv6: the ISP answers at both of the pool's addresses
    expect(rows["ntp"].detail, all).toMatch(/^ntp synchronised to (203\.0\.113\.1|2001:db8:ffff::1) at stratum 2/);
    expect(rows["fw.inbound"].detail, all).toMatch(
      /router (100\.64\.0\.\d+) tcp 22 \(opened\) open, router \1 tcp 23 dropped/,
    );
    expect(rows["fw.inbound"].detail, all).toMatch(/LAN client 2001:db8:[0-9a-f:]+ tcp 80 dropped/);
    // its own address on ppp0 (DHCPv6 IA_NA), as reachable as its IPv4 one
    expect(rows["fw.inbound"].detail, all).toMatch(
      /router (2001:db8:0:1[0-9a-f]{2}::[0-9a-f]+) tcp 22 \(opened\) open, router \1 tcp 23 dropped/,
    );
    expect(rows["fw.inbound"].detail, all).toMatch(/router 100\.64\.0\.\d+ udp 9 dropped/);
    // LCP echoes every 5 s, 4 unanswered: the check's own limit is 20 s + 60 s
    expect(rows["wan.reconnect"].detail, all).toMatch(/^wan\.link\.pppoe back with 100\.64\.0\.\d+ \d+ s after/);
    expect(report.times["wan.reconnect"]).toBeLessThanOrEqual(80);
    // the lab's key, given as run.sh --authorized-key, opens an interactive shell; passwords are refused
    expect(rows["ssh"].detail, all).toBe(
      "root@10.8.0.1 by key: an interactive shell with job control on /dev/pts/0; password login not offered",
    );
    expect(rows["fw.closed"].detail, all).toMatch(
      /^\d+ samples while restarting wan\.link\.pppoe and secrets, none forwarding without the ruleset; with the ruleset broken svc boot failed/,
    );
    // the LAN port out and back: the controller takes it out and puts it back, nothing restarts
    expect(rows["bridge.updown"].detail, all).toMatch(
      /^eth1 \(lan\.link\) left int \d+ s after its link went down \(int\.bridge\.member\.lan\.link down\) and rejoined \d+ s after it came back; the client reached 10\.8\.0\.1 and the ISP, no other service restarted$/,
    );
    const qemus = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(qemus).not.toMatch(/230\.0\.0\.1:2472[0-2]/);
  });
});
