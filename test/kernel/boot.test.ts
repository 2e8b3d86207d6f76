// The kernel of hello-from-qemu for qemu-aarch64, built from linux-source-6.1 (cached: the first
// run compiles for many minutes), checked against the options asked for and booted under QEMU
// with a busybox initramfs that loads the configuration's one module and reports the release.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { loadConfig, loadDevice } from "../../image/config/load.ts";
import { buildKernel, kernelForSystem, type Kernel } from "../../image/kernel/index.ts";
import { parseConfig } from "../../image/kernel/kconfig.ts";
import { cacheRoot } from "../../image/lib/cache.ts";
import { PackageCollector } from "../../image/packages/collect.ts";
import { Guest } from "../../image/qemu/vm.ts";
import { initramfs } from "../../image/rootfs/cpio.ts";
import type { TreeEntry } from "../../image/rootfs/tree.ts";

const buildTimeout = 40 * 60_000;

/** Every file below `dir`, as paths relative to it. */
function walk(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

/** Cache entries of built kernels (finished or in progress). */
const kernelEntries = () =>
  existsSync(join(cacheRoot(), "kernel")) ? readdirSync(join(cacheRoot(), "kernel")).sort() : [];

describe("kernel for qemu-aarch64 from linux-source-6.1", { timeout: buildTimeout }, () => {
  let system: SystemDescription;
  let kernel: Kernel;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "limen-kernel-"));
    system = compile(evaluate(await loadConfig("examples/hello-from-qemu.ts"), await loadDevice("qemu-aarch64")));
    kernel = await kernelForSystem(system);
  }, buildTimeout);
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("has every option the device and the configuration's modules ask for, and builds the module", async () => {
    const final = parseConfig(await readFile(kernel.config, "utf8"));
    const requested = Object.entries(system.kernel.config);
    expect(requested.length).toBeGreaterThan(40);
    expect(requested.filter(([k, v]) => (final.get(k) ?? "n") !== v)).toEqual([]);
    // an arm64 Image: "ARM\x64" at offset 56 of its header
    expect((await readFile(kernel.image)).subarray(56, 60).toString("latin1")).toBe("ARM\x64");
    expect(kernel.release).toMatch(/^6\.1\.\d+$/);
    expect(kernel.modules).not.toBeNull();
    expect(walk(kernel.modules!).filter((f) => f.endsWith(".ko"))).toEqual([
      expect.stringMatching(new RegExp(`^lib/modules/${kernel.release}/kernel/.*/mac80211_hwsim\\.ko$`)),
    ]);
  });

  it("takes the same build from the cache", async () => {
    const before = kernelEntries();
    const again = await kernelForSystem(system);
    expect(again).toEqual(kernel);
    expect(kernelEntries()).toEqual(before);
  });

  it("boots qemu-aarch64: the initramfs's /init loads the module and reports the kernel release", async () => {
    const [busybox] = await new PackageCollector("arm64").collect([
      { package: "busybox-static", files: ["/bin/busybox"] },
    ]);
    const hwsim = walk(kernel.modules!).find((f) => f.endsWith("/mac80211_hwsim.ko"))!;
    const marker = `limen-kernel-${randomBytes(6).toString("hex")}`;
    const init =
      [
        "#!/bin/busybox sh",
        "/bin/busybox mount -t proc proc /proc",
        "/bin/busybox mount -t sysfs sys /sys",
        "/bin/busybox insmod /hwsim.ko radios=2",
        `echo "${marker} release=$(/bin/busybox uname -r) radios=$(/bin/busybox ls /sys/class/ieee80211 | /bin/busybox tr '\\n' ,)"`,
        "/bin/busybox poweroff -f",
      ].join("\n") + "\n";
    const root = { uid: 0, gid: 0 };
    const entries: TreeEntry[] = [
      { type: "file", path: "/bin/busybox", mode: 0o755, ...root, content: { hostPath: busybox.source! } },
      { type: "file", path: "/init", mode: 0o755, ...root, content: Buffer.from(init) },
      { type: "file", path: "/hwsim.ko", mode: 0o644, ...root, content: { hostPath: join(kernel.modules!, hwsim) } },
      // the kernel opens /dev/console for init before anything could mount devtmpfs
      { type: "char", path: "/dev/console", mode: 0o600, ...root, major: 5, minor: 1 },
      { type: "dir", path: "/proc", mode: 0o755, ...root },
      { type: "dir", path: "/sys", mode: 0o755, ...root },
    ];
    const initrd = join(work, "initramfs.gz");
    await writeFile(initrd, await initramfs(entries));

    const guest = new Guest([
      "qemu-system-aarch64",
      "-M",
      "virt",
      "-cpu",
      "cortex-a53",
      "-m",
      "256",
      "-nographic",
      "-no-reboot",
      "-nic",
      "none",
      "-kernel",
      kernel.image,
      "-initrd",
      initrd,
      "-append",
      "console=ttyAMA0 panic=-1",
    ]);
    try {
      const m = await guest.waitFor(new RegExp(`${marker} release=(\\S+) radios=(\\S*)`), 180_000);
      expect(m[1]).toBe(kernel.release);
      expect(m[2]).toBe("phy0,phy1,");
      // poweroff -f ends QEMU (-no-reboot) by itself
      expect(await guest.exit(60_000), guest.console.slice(-2000)).toBe(0);
    } finally {
      await guest.stop();
    }
  });

  it("fails naming the cross compiler when it is missing, and caches nothing", async () => {
    const before = kernelEntries();
    await expect(
      buildKernel({ cpu: "aarch64", config: system.kernel.config, crossCompile: "limen-missing-linux-gnu-" }),
    ).rejects.toThrow(/needs the cross compiler limen-missing-linux-gnu-gcc, which cannot be run/);
    expect(kernelEntries()).toEqual(before);
  });

  it("fails with make's error when make fails, and leaves no cache entry", async () => {
    const before = kernelEntries();
    await expect(
      buildKernel({ cpu: "aarch64", config: system.kernel.config, makeTargets: ["limen-no-such-target"] }),
    ).rejects.toThrow(/kernel make failed \(exit 2\)[^]*No rule to make target 'limen-no-such-target'/);
    expect(kernelEntries()).toEqual(before);
  });
});
