// The lab on examples/access-point.ts (the wap profile) on qemu-aarch64, one boot shared by every
// check: the ISP plays the main router. The LAN client behind the access point's bridge leases
// its address from the main router; the bridge's LAN port leaves and rejoins with its link; the
// access point leases its own address on the tagged management VLAN and holds none on the LAN,
// and a client tagging its frames reaches it there while untagged it cannot. A router's rows say
// why they do not apply.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { labRun } from "../lib/lab.ts";

describe("npm run lab on examples/access-point.ts", { timeout: 1_200_000 }, () => {
  it("bridges the LAN to the main router and keeps its own address on the management VLAN", async () => {
    const { report, rows, all } = await labRun("examples/access-point.ts", 41730);
    expect(
      report.checks.map((c) => [c.name, c.status]),
      all,
    ).toEqual([
      ["wan.up", "n/a"],
      ["wan.l2tp", "n/a"],
      ["lan.dhcp4", "pass"],
      ["lan.dns", "n/a"],
      ["nat4", "n/a"],
      ["ipv6", "n/a"],
      ["ntp", "n/a"],
      ["bridge.updown", "pass"],
      ["vlan", "pass"],
      ["ssh", "n/a"],
      ["wifi.ap", "pass"],
      ["wifi.sta", "pass"],
      ["fw.inbound", "n/a"],
      ["wan.reconnect", "n/a"],
      ["fw.closed", "n/a"],
    ]);
    expect(rows["wan.up"].detail).toMatch(/^an access point \(wap\): no WAN of its own/);
    // the main router's lease, through the bridge: its range, its address as router and DNS
    expect(rows["lan.dhcp4"].detail, all).toMatch(
      /^lease 192\.0\.2\.1\d\d\/24 with router and DNS 192\.0\.2\.1; no static host configured$/,
    );
    expect(rows["vlan"].detail, all).toMatch(
      /^int\.10 \(VLAN 10\) leased 198\.51\.100\.1\d\d from the main router, no address on the untagged int; the client tagging VLAN 10 got 198\.51\.100\.1\d\d\/24 router 198\.51\.100\.1 and reached 198\.51\.100\.1\d\d; untagged \(192\.0\.2\.1\d\d\) it could not: not routed between them$/,
    );
    // a station on the spare radio, behind the access point: the main router's lease, the ISP reached as itself
    expect(rows["wifi.sta"].detail, all).toMatch(
      /^wlan1 \(phy1, own namespace\) associated with "access-point" on wlan0 in [\d.]+ s; lease 192\.0\.2\.1\d\d\/24 from the main router [\d.]+ s later; reached the ISP as itself; a wrong passphrase refused$/,
    );
    const qemus = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(qemus).not.toMatch(/127\.0\.0\.1:4173[0-4]/);
  });
});
