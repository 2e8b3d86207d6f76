// `npm run image` for an emulated device, booted: the router comes up to a login prompt into
// root's home, with the loopback link up, a writable /tmp and /dev/pts; every service of its
// default set is up, svc restarts one through s6, and poweroff powers it off.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { Vm } from "../../image/qemu/vm.ts";
import { layout } from "../../runtime/src/layout.ts";

const out = mkdtempSync(join(tmpdir(), "limen-image-"));
let vm: Vm | undefined;
// one router at a time: each is stopped as soon as its test ends
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.each(["qemu-aarch64", "qemu-armv7l", "qemu-mipsel"])(
  "%s running hello-from-qemu",
  { timeout: 900_000 },
  (device) => {
    it("boots to a login, brings up every default service, restarts one and powers off", async () => {
      const result = join(out, device);
      const { system } = await buildImage({
        device,
        config: "examples/hello-from-qemu.ts",
        out: result,
        progress: () => {},
      });
      // each test's networks get their own multicast ports, so parallel runs do not meet
      vm = new Vm(result, ["--access", "230.0.0.1:23401", "--lan", "230.0.0.1:23402"]);
      await vm.start();
      await vm.login("hello", "root", "secret");
      // busybox login says when it cannot change into the user's home
      expect(vm.console).not.toContain("can't change directory");
      expect((await vm.run("pwd")).trim()).toBe("/home/root");
      expect((await vm.run("ls -ldn /home/root")).trim()).toMatch(/^drwxr-xr-x\s+\d+\s+0\s+0\s/);
      // init brought the loopback link up, mounted a tmpfs on /tmp and devpts on /dev/pts
      expect((await vm.run("ip link show lo")).trim()).toMatch(/<LOOPBACK,UP,LOWER_UP>/);
      expect((await vm.run("ping -c1 127.0.0.1")).code).toBe(0);
      expect((await vm.run("echo written > /tmp/x && cat /tmp/x")).trim()).toBe("written");
      const mounts = (await vm.run("cat /proc/mounts")).trim();
      expect(mounts).toMatch(/^tmpfs \/tmp tmpfs rw,nosuid,nodev[ ,]/m);
      expect(mounts).toMatch(/^devpts \/dev\/pts devpts .*gid=5,mode=620,ptmxmode=666 /m);
      const up = await vm.servicesUp(system.defaultServices);
      expect(up.sort()).toEqual(expect.arrayContaining([...system.defaultServices].sort()));
      expect((await vm.run("cat /proc/1/comm")).trim()).toBe("s6-svscan");
      expect((await vm.run("hostname")).trim()).toBe("hello");
      // QEMU's monitor answers on its socket while the guest runs
      expect(await vm.monitor("info status")).toMatch(/^VM status: running/m);
      // the s6 programs the image keeps are the ones needed: svc waits on s6-svc -w (its listener
      // and fifo reader), a user reads s6-svstat, and poweroff stops everything and s6-svscan by s6-svscanctl
      expect((await vm.run("svc restart sshd && echo restarted")).trim()).toMatch(/restarted$/);
      expect((await vm.run(`s6-svstat ${layout("").scan}/sshd`)).trim()).toMatch(/^up \(pid \d+/);
      const from = vm.console.length;
      vm.send("poweroff\n");
      await vm.waitFor(/reboot: Power down/, 120_000, from);
    });
  },
);
