// The lab's ISP alone on qemu-aarch64: every daemon up and answering on the ISP itself, at the
// addresses of "the internet" (image/lab/plan.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { parseNslookup, parseWhoami } from "../../image/lab/parse.ts";
import { internet, ispHostname, zone } from "../../image/lab/plan.ts";
import { Vm } from "../../image/qemu/vm.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-lab-isp-"));
let vm: Vm | undefined;
afterAll(async () => {
  await vm?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the lab's ISP", { timeout: 900_000 }, () => {
  it("runs DNS, DHCPv4, DHCPv6, PPPoE, NTP and HTTP, answering at the internet's addresses", async () => {
    const { system, out } = await buildImage({
      device: "qemu-aarch64",
      config: "image/lab/isp.ts",
      out: join(dir, "isp"),
      progress: () => {},
    });
    vm = new Vm(out, ["--access", "230.0.0.1:24430", "--lan", "230.0.0.1:24431"]);
    await vm.start();
    await vm.login(ispHostname, "root", "secret");
    await vm.run("dmesg -n 1");
    expect(await vm.servicesUp(system.defaultServices)).toEqual(expect.arrayContaining(system.defaultServices));

    // the zone's names, NXDOMAIN inside the zone, any other name at the web server, on every resolver address
    // dnsmasq is "up" once started, a moment before it answers
    let www = "";
    for (let i = 0; i < 15 && parseNslookup(www).addresses.length === 0; i++)
      www = await vm.run(`sleep ${i === 0 ? 0 : 1}; nslookup www.${zone.domain} 127.0.0.1`);
    expect(parseNslookup(www).addresses, www).toEqual([internet.www.v4, internet.www.v6]);
    expect(parseNslookup(await vm.run(`nslookup nope.${zone.domain} 127.0.0.1`)).error).toBe("NXDOMAIN");
    for (const resolver of internet.resolvers)
      expect(parseNslookup(await vm.run(`nslookup pool.ntp.org ${resolver}`)).addresses).toContain(internet.www.v4);

    // the web server answers with the client's address, over IPv4 and IPv6
    const whoami = (host: string) => vm!.run(`wget -q -O - http://${host}/cgi-bin/whoami`);
    expect(parseWhoami(await whoami(internet.www.v4))).toBe(internet.www.v4);
    expect(parseWhoami(await whoami(`[${internet.www.v6}]`))).toBe(internet.www.v6);

    // chrony serves its own clock
    expect(String(await vm.run("chronyc -n tracking"))).toMatch(/Stratum\s+: 1/);
    // DHCPv4 (dnsmasq) and DHCPv6 (Kea, on the segment until a PPPoE session comes up; a few
    // seconds after it is up) listen, and pppoe-server runs; the lab's ipv6 check proves DHCPv6
    let sockets = "";
    for (let i = 0; i < 30 && !/:547 /.test(sockets); i++)
      sockets = String(await vm.run(`sleep ${i === 0 ? 0 : 1}; netstat -lnu`));
    expect(sockets).toMatch(/0\.0\.0\.0:67 /);
    expect(sockets).toMatch(/fe80::[0-9a-f:]+:547 /);
    expect(String(await vm.run("ps | grep '[p]ppoe-server'"))).toMatch(/pppoe-server -F -I eth0/);
  });
});
