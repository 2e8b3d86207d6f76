// How QEMU runs an emulated device: its system emulator and board, the Debian kernel it boots
// and the kernel modules that kernel needs loaded early. Each devices/qemu-*/ folder exports one.
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { existsSync } from "node:fs";
import type { DebianArch } from "../lib/debian.ts";
import { devicesDirectory } from "../config/load.ts";

export interface Emulator {
  /** QEMU system emulator program. */
  system: string;
  /** Board and CPU arguments. */
  machine: string[];
  memoryMiB: number;
  /** Serial console device name inside the guest. */
  console: string;
  /** Debian kernel meta-package (e.g. linux-image-arm64) and its architecture. */
  kernelPackage: string;
  debianArch: DebianArch;
  /** Modules to load at boot, in order, before the network and disks are used. */
  kernelModules: string[];
  /** Extra QEMU arguments (e.g. -vga none on malta). */
  extra: string[];
}

export async function emulatorOf(device: string): Promise<Emulator> {
  const file = join(devicesDirectory, device, "index.ts");
  if (!existsSync(file)) throw new Error(`device "${device}": there is no ${file}`);
  const mod = (await import(pathToFileURL(file).href)) as { emulator?: Emulator };
  if (!mod.emulator) throw new Error(`device "${device}" is not an emulated device: ${file} exports no emulator`);
  return mod.emulator;
}
