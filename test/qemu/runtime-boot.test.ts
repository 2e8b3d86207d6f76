// The runtime on real kernels: each emulated device boots a Debian kernel into an initramfs
// holding busybox and limen, runs `limen selftest` and the engine tests, and powers off.
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { PackageCollector } from "../../image/packages/collect.ts";
import { debianKernel } from "../../image/qemu/kernel.ts";
import { emulatorOf } from "../../image/qemu/emulator.ts";
import { initramfs } from "../../image/rootfs/cpio.ts";
import type { TreeEntry } from "../../image/rootfs/tree.ts";
import { projectRoot } from "../../image/lib/cache.ts";
import { binaryPath } from "../lib/runtime.ts";
import { Guest } from "../lib/qemu.ts";

const devices = [
  { device: "qemu-aarch64", cpu: "aarch64" },
  { device: "qemu-armv7l", cpu: "armv7" },
  { device: "qemu-mipsel", cpu: "mipsel" },
] as const;

const root = { uid: 0, gid: 0 };
let guest: Guest | undefined;
const scratch = mkdtempSync(join(tmpdir(), "limen-boot-"));
afterEach(async () => {
  await guest?.stop();
  guest = undefined;
});

describe.each(devices)("$device boots and runs the runtime", { timeout: 600_000 }, ({ device, cpu }) => {
  it("passes limen selftest and the engine tests under a real kernel", async () => {
    const emulator = await emulatorOf(device);
    const kernel = await debianKernel(emulator);
    const files = await new PackageCollector(emulator.debianArch).collect([{ package: "busybox", files: ["/bin/busybox"] }]);
    const init = [
      "#!/bin/busybox sh",
      "/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin",
      "/bin/busybox --install -s",
      "mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev && mount -t tmpfs tmp /tmp",
      ...kernel.modules.map((m) => `insmod /lib/modules/${kernel.release}/${m.relative}`),
      "echo LIMEN-MODULES=$(cut -d' ' -f1 /proc/modules | sort | tr '\\n' ,)",
      "/bin/limen --version",
      "/bin/limen selftest; echo LIMEN-SELFTEST-EXIT=$?",
      "/bin/limen-test; echo LIMEN-ENGINE-EXIT=$?",
      "poweroff -f",
      "",
    ].join("\n");
    const tree: TreeEntry[] = [
      { type: "file", path: "/init", mode: 0o755, ...root, content: Buffer.from(init) },
      { type: "file", path: "/bin/limen", mode: 0o755, ...root, content: { hostPath: binaryPath(cpu) } },
      { type: "file", path: "/bin/limen-test", mode: 0o755, ...root, content: { hostPath: join(projectRoot, "build", "test", `limen-test-${cpu}`) } },
      { type: "char", path: "/dev/console", mode: 0o600, ...root, major: 5, minor: 1 },
      ...kernel.modules.map((m): TreeEntry => ({ type: "file", path: `/lib/modules/${kernel.release}/${m.relative}`, mode: 0o644, ...root, content: { hostPath: m.path } })),
      ...files.map((f): TreeEntry => (f.link !== undefined ? { type: "symlink", path: f.path, target: f.link, ...root } : { type: "file", path: f.path, mode: 0o755, ...root, content: { hostPath: f.source! } })),
    ];
    const initrd = join(scratch, `${device}.cpio.gz`);
    writeFileSync(initrd, await initramfs(tree));

    guest = new Guest([
      emulator.system, ...emulator.machine, "-m", String(emulator.memoryMiB), ...emulator.extra,
      "-nographic", "-no-reboot", "-nic", "none",
      "-kernel", kernel.image, "-initrd", initrd,
      "-append", `console=${emulator.console} panic=-1 quiet`,
    ]);
    const modules = await guest.waitFor(/LIMEN-MODULES=(\S*)/, 300_000);
    for (const m of kernel.modules) expect(modules[1]!.split(",")).toContain(m.name);
    expect((await guest.waitFor(/^limen \S+ \(QuickJS-ng [\d.]+, (\w+)\)/m, 60_000))[1]).toBe(cpu);
    const selftest = await guest.waitFor(/LIMEN-SELFTEST-EXIT=(\d+)/, 120_000);
    expect(guest.console).toContain("selftest passed");
    expect(selftest[1]).toBe("0");
    const engine = await guest.waitFor(/LIMEN-ENGINE-EXIT=(\d+)/, 120_000);
    expect(guest.console).not.toMatch(/^FAIL /m);
    expect(engine[1]).toBe("0");
  });
});

process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
