// The vmroot output of an emulated device: the Debian kernel, a small initramfs whose preinit
// (limen) loads the modules and mounts the squashfs root from a virtio disk, and run.sh.
import { chmod, copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SystemDescription } from "../config/compile.ts";
import { layout } from "../../runtime/src/layout.ts";
import { debianKernel } from "../qemu/kernel.ts";
import { initramfs } from "../rootfs/cpio.ts";
import { squashfs } from "../rootfs/squashfs.ts";
import type { TreeEntry } from "../rootfs/tree.ts";
import { runScript } from "./run-script.ts";

export async function vmroot(
  system: SystemDescription,
  root: TreeEntry[],
  runtime: string,
  out: string,
): Promise<void> {
  // checked before any work is done: nothing else is written for a system vmroot cannot boot
  const { emulator } = system;
  if (!emulator) throw new Error(`vmroot: device ${system.device.name} is not emulated (it defines no emulator)`);
  if (system.rootfsType !== "squashfs")
    throw new Error(`vmroot: root filesystem type "${system.rootfsType}" is not supported yet (squashfs is)`);
  const kernel = await debianKernel(emulator, ["squashfs", ...system.kernel.loadModules]);
  const moduleDir = `/lib/modules/${kernel.release}`;
  const plan = {
    modules: kernel.modules.map((m) => `${moduleDir}/${m.relative}`),
    root: "/dev/vda",
    rootfstype: system.rootfsType,
    init: "/sbin/init",
  };
  const owner = { uid: 0, gid: 0 };
  await writeFile(
    join(out, "initramfs.cpio.gz"),
    await initramfs([
      { type: "file", path: "/preinit", mode: 0o755, ...owner, content: { hostPath: runtime } },
      {
        type: "file",
        path: layout("").preinitPlan,
        mode: 0o644,
        ...owner,
        content: Buffer.from(JSON.stringify(plan, null, 1) + "\n"),
      },
      { type: "char", path: "/dev/console", mode: 0o600, ...owner, major: 5, minor: 1 },
      ...kernel.modules.map((m): TreeEntry => ({
        type: "file",
        path: `${moduleDir}/${m.relative}`,
        mode: 0o644,
        ...owner,
        content: { hostPath: m.path },
      })),
    ]),
  );
  await squashfs(root, join(out, "rootfs.squashfs"));
  await copyFile(kernel.image, join(out, "kernel"));
  const commandLine = [...system.boot.commandLine, "rdinit=/preinit"].join(" ");
  await writeFile(join(out, "run.sh"), runScript(system.device.name, emulator, commandLine));
  await chmod(join(out, "run.sh"), 0o755);
}
