// rotuer's access points under QEMU: its image (with a console login, fixtures/rotuer-console.ts)
// boots with a secrets store on its second disk; the emulated device's radios (mac80211_hwsim)
// come with its wlan links, both hostapd services get ready with the passphrase from the store,
// one on 2.4 GHz (channel 1), one on 5 GHz (channel 36, 80 MHz wide) in the regulatory domain
// the configuration names (GB, from the signed database), and the LAN bridge holds the wired
// port and both access points. There is no ISP: PPPoE stays down, which nothing here needs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { makeStoreImage, storeParams } from "../../image/lab/store.ts";
import { Vm } from "../../image/qemu/vm.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-rotuer-wifi-"));
let vm: Vm | undefined;
afterAll(async () => {
  await vm?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const passphrase = "correct horse battery staple";

describe.each([
  { device: "qemu-aarch64", group: 24600 },
  { device: "qemu-mipsel", group: 24602 },
  { device: "qemu-armv7l", group: 24604 },
])("rotuer's access points on $device", { timeout: 1_200_000 }, ({ device, group }) => {
  it("brings up both hostapd services in AP mode in GB, bridged with the LAN port", async () => {
    const result = join(dir, device);
    const { system } = await buildImage({
      device,
      config: "test/qemu/fixtures/rotuer-console.ts",
      out: result,
      progress: () => {},
    });
    // the store as rotuer declares it, as the lab makes it
    const store = join(dir, `${device}-store.img`);
    makeStoreImage(
      storeParams.parse(system.services["secrets"].templates[0].params),
      { "ppp/username": "limen", "ppp/password": "not the ISP's", "wifi/passphrase": passphrase },
      store,
    );
    vm = new Vm(result, ["--access", `230.0.0.1:${group}`, "--lan", `230.0.0.1:${group + 1}`, "--disk", store]);
    await vm.start();
    try {
      await vm.login("rotuer", "root", "secret");
      await vm.run("dmesg -n 1");
      const aps = ["wlan.link.hostapd", "wlan5.link.hostapd"];
      // each member joins once its ifwait sees its link running
      const joins = ["lan.link", ...aps].map((m) => `int.bridge.member.${m}`);
      const wanted = ["secrets", ...aps, "int.bridge.members", ...joins];
      const up = await vm.servicesUp(wanted, 300_000);
      expect(up, String(await vm.run("svc log | tail -n 60"))).toEqual(expect.arrayContaining(wanted));
      const status = async (ap: string): Promise<unknown> => JSON.parse(await vm!.run(`svc --json status ${ap}`));
      // one command at a time: the console is one terminal
      const first: unknown[] = [];
      for (const ap of aps) first.push(await status(ap));

      // the access point on a radio the device lacks is down, saying why; the rest came up
      expect(String(await vm.run("svc status wlan9.link wlan9.link.hostapd"))).toMatch(
        /^wlan9\.link down oneshot failed: up script exited 1\r?\nwlan9\.link\.hostapd down longrun .*failed: skipped, wlan9\.link did not come up/m,
      );
      expect(String(await vm.run("svc log wlan9.link"))).toContain("no interface wlan9: its radio is missing");
      // the radios' driver and what every access point needs, loaded by svc
      const modules = (await vm.run("cat /proc/modules")).split("\n").map((l) => l.split(" ")[0]);
      for (const m of ["mac80211_hwsim", "mac80211", "cfg80211", "ccm", "ctr", "ext4"]) expect(modules).toContain(m);
      // both in AP mode, on the channels rotuer asks for, the passphrase from the store
      const dev = String(await vm.run("iw dev"));
      const block = (ifname: string) => dev.slice(dev.indexOf(`Interface ${ifname}\n`)).split(/\n\s*Interface /)[0];
      expect(block("wlan0")).toMatch(/ssid rotuer\n/);
      expect(block("wlan0")).toMatch(/type AP\n/);
      expect(block("wlan0")).toMatch(/channel 1 \(2412 MHz\)/);
      expect(block("wlan1")).toMatch(/ssid rotuer5\n/);
      expect(block("wlan1")).toMatch(/type AP\n/);
      expect(block("wlan1")).toMatch(/channel 36 \(5180 MHz\), width: 80 MHz, center1: 5210 MHz/);
      // in a configuration file root alone reads
      const conf = "/run/secrets/wlan5.link.hostapd/hostapd.conf";
      expect(String(await vm.run(`cat ${conf}`))).toContain(`wpa_passphrase=${passphrase}\n`);
      expect(String(await vm.run(`ls -ln ${conf}`))).toMatch(/^-rw------- +1 0 +0 /m);
      // the kernel loaded the signed regulatory database and took the country hostapd set
      const reg = String(await vm.run("iw reg get"));
      expect(reg).toMatch(/^country GB: DFS-ETSI$/m);
      expect(String(await vm.run("dmesg | grep -i regulatory"))).not.toMatch(/failed|invalid/);
      // the LAN bridge holds the wired port and both access points
      const ports = String(await vm.run("ls /sys/class/net/int/brif"))
        .trim()
        .split(/\s+/)
        .sort();
      expect(ports).toEqual(["eth1", "wlan0", "wlan1"]);
      // the readiness the bridge waited for: both access points have their carrier
      for (const ifname of ["wlan0", "wlan1"])
        expect(String(await vm.run(`cat /sys/class/net/${ifname}/carrier`)).trim()).toBe("1");
      // and hostapd stays up: the same processes, ready, a while later
      await vm.run("sleep 10");
      for (const [i, ap] of aps.entries()) {
        expect(first[i]).toMatchObject({ state: "up", ready: true, pid: expect.any(Number) as number });
        expect(await status(ap)).toEqual(first[i]);
      }
    } finally {
      await vm.stop();
      vm = undefined;
    }
  });
});
