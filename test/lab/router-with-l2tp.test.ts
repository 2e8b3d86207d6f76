// The lab on examples/router-with-l2tp.ts on qemu-aarch64: one boot of the ISP (its LNS is xl2tpd
// with pppd per session), the router and a LAN client. The router takes its upstream address by
// DHCP, tunnels to the ISP's LNS (the lease's router) and logs in with the credentials from the
// secrets store's disk the lab made; the session's addresses are the service's outputs and ppp0
// holds them, both ends of the tunnel see each other, and the LAN reaches the ISP's names and web
// server through NAT over it. A session the ISP drops silently comes back by LCP echo, over a
// new tunnel, still in the firewall's wan zone. A password the ISP refuses fails wan.up with
// pppd's reason, as for PPPoE.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { labRun, refusedPasswordRun } from "../lib/lab.ts";

describe("npm run lab on examples/router-with-l2tp.ts", { timeout: 1_200_000 }, () => {
  it("passes every check: the L2TP session, the LAN, NAT and DNS through it, NTP, ssh, a dropped session", async () => {
    const { report, rows, all } = await labRun("examples/router-with-l2tp.ts", 41520);
    expect(
      report.checks.map((c) => [c.name, c.status]),
      all,
    ).toEqual([
      ["wan.up", "pass"],
      ["wan.l2tp", "pass"],
      ["lan.dhcp4", "pass"],
      ["lan.dns", "pass"],
      ["nat4", "pass"],
      ["ipv6", "n/a"],
      ["ntp", "pass"],
      ["bridge.updown", "pass"],
      ["vlan", "n/a"],
      ["ssh", "pass"],
      ["wifi.ap", "n/a"],
      ["wifi.sta", "n/a"],
      ["fw.inbound", "pass"],
      ["wan.reconnect", "pass"],
      ["fw.closed", "pass"],
    ]);
    expect(rows["wan.up"].detail).toMatch(
      /^wan\.l2tp ready: ppp0 100\.64\.0\.\d+ peer 100\.64\.0\.1, DNS 192\.0\.2\.1.*; the password on no command line$/,
    );
    expect(rows["wan.l2tp"].detail).toMatch(
      /^ppp0 (100\.64\.0\.\d+) over a tunnel from 192\.0\.2\.\d+ \(wan\.link\.dhcpc\) to the ISP's LNS 192\.0\.2\.1:1701, its session the ISP's ppp\d+ with peer \1$/,
    );
    expect(rows["lan.dns"].detail).toContain("www.isp.test → 203.0.113.1 through 10.9.0.1");
    expect(rows["nat4"].detail).toMatch(/saw the router's WAN address 100\.64\.0\.\d+$/);
    expect(report.times["router boot to wan.up"]).toBeGreaterThan(0);
    // LCP echoes every 5 s, 4 unanswered, then a new tunnel: the check's own limit is 20 s + 60 s
    expect(report.times["wan.reconnect"]).toBeLessThanOrEqual(80);
    const qemus = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(qemus).not.toMatch(/230\.0\.0\.1:4152[0-2]/);
  });

  it("fails wan.up with pppd's reason when the secrets hold a password the ISP refuses", async () => {
    expect(await refusedPasswordRun("examples/router-with-l2tp.ts", 41525)).toEqual([
      ["wan.up", "fail", "wan.l2tp is not ready: CHAP authentication failed: Access denied"],
    ]);
  });
});
