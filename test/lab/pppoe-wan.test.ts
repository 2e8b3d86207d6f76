// The lab on a PPPoE-WAN configuration (examples/pppoe-wan.ts) on qemu-aarch64: one boot of the
// ISP (pppoe-server, pppd per session), the router and a LAN client. The router has no console
// login: the lab drives it through its own shell (image/lab/shell.ts). The session comes up with
// the credentials from the secrets store's disk the lab made, the service is ready with IPCP's
// addresses as outputs, ppp0 holds them, and the LAN reaches the ISP's names (two DNS servers from
// IPCP) and web server through NAT. Its chrony syncs from the ISP and answers the client; from
// the ISP only the opened ssh port is reachable; a session the ISP drops silently comes back by
// LCP echo, still in the firewall's wan zone.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { labRun, refusedPasswordRun } from "../lib/lab.ts";

describe("npm run lab on examples/pppoe-wan.ts", { timeout: 1_200_000 }, () => {
  it("passes every check: wan.up over PPPoE, the LAN, NAT, NTP, the firewall and a dropped session", async () => {
    const { report, rows, all } = await labRun("examples/pppoe-wan.ts", 24710);
    expect(
      report.checks.map((c) => [c.name, c.status]),
      all,
    ).toEqual([
      ["wan.up", "pass"],
      ["wan.l2tp", "n/a"],
      ["lan.dhcp4", "pass"],
      ["lan.dns", "pass"],
      ["nat4", "pass"],
      ["ipv6", "n/a"],
      ["ntp", "pass"],
      ["bridge.updown", "n/a"],
      ["vlan", "n/a"],
      ["ssh", "n/a"],
      ["wifi.ap", "n/a"],
      ["wifi.sta", "n/a"],
      ["fw.inbound", "pass"],
      ["wan.reconnect", "pass"],
      ["fw.closed", "pass"],
    ]);
    expect(rows["wan.up"].detail).toMatch(
      /^wan\.link\.pppoe ready: ppp0 100\.64\.0\.\d+ peer 100\.64\.0\.1, DNS 192\.0\.2\.1.*; the password on no command line$/,
    );
    expect(rows["nat4"].detail).toMatch(/saw the router's WAN address 100\.64\.0\.\d+$/);
    expect(report.times["router boot to wan.up"]).toBeGreaterThan(0);
    expect(rows["ntp"].detail).toMatch(
      /^ntp synchronised to (203\.0\.113\.1|2001:db8:ffff::1) at stratum 2; it answered the client/,
    );
    expect(rows["fw.inbound"].detail).toMatch(
      /^from the ISP: router (100\.64\.0\.\d+) tcp 22 \(opened\) open, router \1 tcp 23 dropped, router \1 udp 9 dropped, LAN client 10\.6\.0\.\d+ tcp 80 dropped$/,
    );
    // LCP echoes every 10 s, 3 unanswered: the check's own limit is 30 s + 60 s
    expect(report.times["wan.reconnect"]).toBeLessThanOrEqual(90);
    const qemus = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(qemus).not.toMatch(/230\.0\.0\.1:2471[0-2]/);
  });

  it("fails wan.up with pppd's reason when the secrets hold a password the ISP refuses", async () => {
    expect(await refusedPasswordRun("examples/pppoe-wan.ts", 24710)).toEqual([
      ["wan.up", "fail", "wan.link.pppoe is not ready: CHAP authentication failed: Access denied"],
    ]);
  });
});
