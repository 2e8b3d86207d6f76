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
      "lan.dhcp4",
      "lan.dns",
      "nat4",
      "ipv6",
      "ntp",
      "bridge.updown",
      "vlan",
      "ssh",
      "fw.inbound",
      "wan.reconnect",
      "fw.closed",
    ]);
    expect(
      report.checks.filter((c) => c.status !== "pass").map((c) => [c.name, c.status, c.detail]),
      all,
    ).toEqual([["vlan", "n/a", "no management VLAN"]]);
    expect(rows["wan.up"].detail).toMatch(/^wan\.link\.pppoe ready: ppp0 100\.64\.0\.\d+ peer 100\.64\.0\.1/);
    // a /56 of the ISP's 2001:db8:100::/40, the client's SLAAC address in it seen as the source
    expect(rows["ipv6"].detail, all).toMatch(
      /^wan\.link\.pppoe\.dhcp6c got 2001:db8:1[0-9a-f:]+\/56; the client took 2001:db8:[0-9a-f:]+ by SLAAC; the ISP's web server saw it as the source$/,
    );
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
    const qemus = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(qemus).not.toMatch(/230\.0\.0\.1:2472[0-2]/);
  });
});
