// The vmroot output of an emulated device: the Debian kernel, a small initramfs whose preinit
// (limen) loads the modules and mounts the squashfs root from a virtio disk, and run.sh. The root
// holds the modules the services need, with the table svc loads them by.
import { chmod, copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SystemDescription } from "../config/compile.ts";
import { layout } from "../../runtime/src/layout.ts";
import { moduleTableVersion, type ModuleTable } from "../../runtime/src/svc/kernel-modules.ts";
import { debianKernel, type DebianKernel, type KernelModule } from "../qemu/kernel.ts";
import { initramfs } from "../rootfs/cpio.ts";
import { squashfs } from "../rootfs/squashfs.ts";
import type { TreeEntry } from "../rootfs/tree.ts";
import { runScript } from "./run-script.ts";

const owner = { uid: 0, gid: 0 };

/**
 * The .ko files of the modules the services declare, with their dependencies, and the table svc
 * loads them by (a built-in module has no files); a module the kernel lacks is an error.
 */
async function serviceModules(system: SystemDescription, kernel: DebianKernel): Promise<TreeEntry[]> {
  const moduleDir = `/lib/modules/${kernel.release}`;
  const table: ModuleTable = { version: moduleTableVersion, modules: {} };
  const files = new Map<string, KernelModule>();
  for (const [name, service] of Object.entries(system.database.services)) {
    for (const m of service.kernelModules) {
      if (Object.hasOwn(table.modules, m)) continue;
      const found = await kernel.withDependencies(m);
      if (found === null)
        throw new Error(
          `service ${name} (${system.services[name].origin}): kernel module ${m} is neither a module of Debian's kernel ${kernel.release} nor built into it`,
        );
      table.modules[m] = found.map((k) => `${moduleDir}/${k.relative}`);
      for (const k of found) files.set(k.relative, k);
    }
  }
  const radios = system.emulator?.radios;
  if (radios && Object.hasOwn(table.modules, radios.module)) {
    // each link loading the driver is one radio the configuration uses; one more is the lab's station
    const used = Object.values(system.database.services).filter((s) => s.kernelModules.includes(radios.module));
    table.parameters = { [radios.module]: `${radios.parameter}=${used.length + 1}` };
  }
  return [
    ...[...files.values()].map((k): TreeEntry => ({
      type: "file",
      path: `${moduleDir}/${k.relative}`,
      mode: 0o644,
      ...owner,
      content: { hostPath: k.path },
      package: kernel.package,
    })),
    {
      type: "file",
      path: layout("").kernelModules,
      mode: 0o644,
      ...owner,
      content: Buffer.from(JSON.stringify(table, null, 1) + "\n"),
    },
  ];
}

/** Writes the output into `out`; returns the root tree it holds (`root` and the services' modules). */
export async function vmroot(
  system: SystemDescription,
  root: TreeEntry[],
  runtime: string,
  out: string,
): Promise<TreeEntry[]> {
  // checked before any work is done: nothing else is written for a system vmroot cannot boot
  const { emulator } = system;
  if (!emulator) throw new Error(`vmroot: device ${system.device.name} is not emulated (it defines no emulator)`);
  if (system.rootfsType !== "squashfs")
    throw new Error(`vmroot: root filesystem type "${system.rootfsType}" is not supported yet (squashfs is)`);
  const kernel = await debianKernel(emulator, ["squashfs", ...system.kernel.loadModules]);
  const rootfs = [...root, ...(await serviceModules(system, kernel))];
  const moduleDir = `/lib/modules/${kernel.release}`;
  const plan = {
    modules: kernel.modules.map((m) => `${moduleDir}/${m.relative}`),
    root: "/dev/vda",
    rootfstype: system.rootfsType,
    init: "/sbin/init",
  };
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
  await squashfs(rootfs, join(out, "rootfs.squashfs"));
  await copyFile(kernel.image, join(out, "kernel"));
  const commandLine = [...system.boot.commandLine, "rdinit=/preinit"].join(" ");
  await writeFile(join(out, "run.sh"), runScript(system.device.name, emulator, commandLine));
  await chmod(join(out, "run.sh"), 0o755);
  return rootfs;
}
