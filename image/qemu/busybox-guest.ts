// A plain guest for tests and the lab's LAN clients: a Debian kernel booting into an initramfs
// that holds busybox (from Debian, with its libraries), the kernel's virtio modules and a test's
// own /init script.
import { writeFileSync } from "node:fs";
import { PackageCollector, type PackageRequest } from "../packages/collect.ts";
import { debianKernel, type DebianKernel } from "./kernel.ts";
import type { Emulator } from "../config/module.ts";
import { initramfs } from "../rootfs/cpio.ts";
import type { TreeEntry } from "../rootfs/tree.ts";

const root = { uid: 0, gid: 0 };

/**
 * Writes the initramfs to `path`; `script` runs after busybox is installed, /proc, /sys, /dev are mounted and modules
 * loaded. `packages`: further Debian programs, with their libraries (the lab's client's chronyd);
 * `modules`: further kernel modules loaded with the virtio ones (8021q for a client that tags).
 */
export async function busyboxGuest(
  emulator: Emulator,
  path: string,
  script: string[],
  files: TreeEntry[] = [],
  packages: PackageRequest[] = [],
  modules: string[] = [],
): Promise<DebianKernel> {
  const kernel = await debianKernel(emulator, modules);
  const busybox = await new PackageCollector(emulator.debianArch).collect([
    { package: "busybox", files: ["/bin/busybox"] },
    ...packages,
  ]);
  const init = [
    "#!/bin/busybox sh",
    "/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin",
    "/bin/busybox --install -s",
    "mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev && mount -t tmpfs tmp /tmp",
    ...kernel.modules.map((m) => `insmod /lib/modules/${kernel.release}/${m.relative}`),
    ...script,
    "poweroff -f",
    "",
  ].join("\n");
  const tree: TreeEntry[] = [
    { type: "file", path: "/init", mode: 0o755, ...root, content: Buffer.from(init) },
    { type: "char", path: "/dev/console", mode: 0o600, ...root, major: 5, minor: 1 },
    ...kernel.modules.map((m): TreeEntry => ({
      type: "file",
      path: `/lib/modules/${kernel.release}/${m.relative}`,
      mode: 0o644,
      ...root,
      content: { hostPath: m.path },
    })),
    ...busybox.map((f): TreeEntry =>
      f.link !== undefined
        ? { type: "symlink", path: f.path, target: f.link, ...root }
        : { type: "file", path: f.path, mode: 0o755, ...root, content: { hostPath: f.source! } },
    ),
    ...files,
  ];
  writeFileSync(path, await initramfs(tree));
  return kernel;
}
