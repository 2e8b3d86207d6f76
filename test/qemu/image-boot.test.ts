// `npm run image` for an emulated device, booted: the router comes up to a login prompt into
// root's home, with the loopback link up, a writable /tmp and /dev/pts; every service of its
// default set is up with the kernel parameters init set, an admin's applets and logread work,
// svc restarts one through s6, and poweroff powers it off. With its service database corrupt, it
// still comes up: init says why on the console and offers root a login there.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
      // without a hostKeys folder, sshd's key is new at each boot: its fingerprint is on the console
      // (first: said while a command runs, it would land in that command's output)
      await vm.waitFor(/sshd: host key made for this boot only \(no hostKeys folder\): Fingerprint: SHA256:/, 30_000);
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
      // init set the router's kernel parameters before the services (rp_filter: the kernel's is 0,
      // accept_ra: 1), every one known to this kernel: no warning in the log
      expect((await vm.run("cat /proc/sys/net/ipv4/conf/all/rp_filter")).trim()).toBe("2");
      expect((await vm.run("cat /proc/sys/net/ipv6/conf/default/accept_ra")).trim()).toBe("2");
      expect((await vm.run("cat /proc/sys/net/ipv4/tcp_syncookies")).trim()).toBe("1");
      expect((await vm.run("logread -e 'init: sysctl' | wc -l")).trim()).toBe("0");
      expect(String(await vm.run("cat /etc/hosts"))).toMatch(
        /^127\.0\.0\.1 localhost\r?\n::1 localhost\r?\n127\.0\.1\.1 hello/,
      );
      // the admin applets are there (uptime, ps), and logread shows the services' log
      expect(String(await vm.run("uptime"))).toMatch(/load average: /);
      expect(String(await vm.run("ps"))).toMatch(/s6-svscan/);
      expect(String(await vm.run("logread -e 'dnsmasq: .*started'"))).toMatch(
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} dnsmasq: dnsmasq\[\d+\]: started, version /,
      );
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

describe("qemu-aarch64 running hello-from-qemu with a corrupt service database", { timeout: 900_000 }, () => {
  it("says why on the console, offers root a login there and runs s6-svscan as process 1", async () => {
    const result = join(out, "corrupt");
    await buildImage({
      device: "qemu-aarch64",
      config: "examples/hello-from-qemu.ts",
      out: result,
      progress: () => {},
    });
    // the build refuses a bad database: this one is broken after it, in the image's own squashfs
    const tree = join(out, "corrupt-tree");
    const image = join(result, "rootfs.squashfs");
    execFileSync("unsquashfs", ["-quiet", "-no-progress", "-d", tree, image]);
    writeFileSync(join(tree, "etc/limen/services.json"), '{"version": 1, "services": ');
    execFileSync("mksquashfs", [tree, image, "-noappend", "-quiet", "-no-progress", "-comp", "xz"]);
    vm = new Vm(result, ["--access", "230.0.0.1:23404", "--lan", "230.0.0.1:23405"]);
    await vm.start();
    await vm.waitFor(/init: no services started; a root login prompt on the console/, 300_000);
    expect(vm.console).toMatch(/init: services: service database: \/etc\/limen\/services\.json: not valid JSON/);
    await vm.login("hello", "root", "secret");
    expect((await vm.run("cat /proc/1/comm")).trim()).toBe("s6-svscan");
    // what the person at the console needs to mend it
    expect((await vm.run("ip link show lo")).trim()).toMatch(/<LOOPBACK,UP,LOWER_UP>/);
    const from = vm.console.length;
    vm.send("poweroff\n");
    await vm.waitFor(/reboot: Power down/, 120_000, from);
  });
});
