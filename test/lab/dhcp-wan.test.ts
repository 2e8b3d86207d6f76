// The lab on a DHCP-WAN configuration (examples/dhcp-wan.ts) on qemu-aarch64: one boot of the
// ISP, the router and a LAN client, every check but wan.reconnect applicable and passing, with
// its evidence, and no guest left running afterwards.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { labRun } from "../lib/lab.ts";

describe("npm run lab on examples/dhcp-wan.ts", { timeout: 1_200_000 }, () => {
  it("passes every check but wan.reconnect, which a DHCP WAN has no session for", async () => {
    const { report, rows, all } = await labRun("examples/dhcp-wan.ts", 24420);
    expect(
      report.checks.map((c) => [c.name, c.status]),
      all,
    ).toEqual([
      ["wan.up", "pass"],
      ["wan.l2tp", "n/a"],
      ["lan.dhcp4", "pass"],
      ["lan.dns", "pass"],
      ["nat4", "pass"],
      ["ipv6", "pass"],
      ["ntp", "pass"],
      ["bridge.updown", "n/a"],
      ["vlan", "n/a"],
      ["ssh", "pass"],
      ["wifi.ap", "n/a"],
      ["wifi.sta", "n/a"],
      ["fw.inbound", "pass"],
      ["wan.reconnect", "n/a"],
      ["fw.closed", "pass"],
    ]);
    expect(report.passed).toBe(true);
    expect(rows["wan.up"].detail).toMatch(/^wan\.link\.dhcpc ready with 192\.0\.2\.\d+ from the ISP/);
    expect(rows["lan.dhcp4"].detail).toContain("the fixed 10.5.0.5 (printer)");
    expect(rows["nat4"].evidence.map((e) => e.guest)).toContain("client");
    // DHCPv6 on the WAN's own link (its link-local address outlives udhcpc's deconfig)
    expect(rows["ipv6"].detail).toMatch(/^wan\.link\.dhcp6c got 2001:db8:100::\/56; the client took 2001:db8:100:/);
    // it opens nothing to the WAN, over IPv4 or IPv6
    expect(rows["fw.inbound"].detail).toMatch(
      /^from the ISP: router (192\.0\.2\.\d+) tcp 23 dropped, router 2001:db8:0:1::[0-9a-f]+ tcp 23 dropped, router \1 udp 9 dropped, LAN client 10\.5\.0\.5 tcp 80 dropped, LAN client 2001:db8:100:[0-9a-f:]+ tcp 80 dropped$/,
    );
    // the lab's guests are gone: no QEMU uses its networks
    const qemus = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(qemus).not.toMatch(/230\.0\.0\.1:2442[0-2]/);
  });

  it("fails nat4 on a router that forwards without NAT: the ISP's answers find no way back", async () => {
    const { report, rows, all } = await labRun("test/lab/fixtures/no-nat.ts", 24425, {
      only: ["wan.up", "lan.dhcp4", "nat4"],
    });
    expect(report.passed).toBe(false);
    expect(
      report.checks.map((c) => [c.name, c.status]),
      all,
    ).toEqual([
      ["wan.up", "pass"],
      ["lan.dhcp4", "pass"],
      ["nat4", "fail"],
    ]);
    expect(rows["nat4"].detail).toBe("no answer from 203.0.113.1/cgi-bin/whoami");
  });
});
