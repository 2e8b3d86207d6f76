// QEMU "virt" board with a 32-bit ARMv7 CPU.
import type { Emulator } from "../../image/qemu/emulator.ts";
import { qemuDevice, virtioModules } from "../lib/qemu.ts";

export default qemuDevice({
  name: "qemu-armv7l",
  cpu: "armv7",
  debianArch: "armhf",
  console: "ttyAMA0",
  kernelConfig: { ARCH_VIRT: "y", VFP: "y", NEON: "y", SERIAL_AMBA_PL011: "y", SERIAL_AMBA_PL011_CONSOLE: "y" },
});

export const emulator: Emulator = {
  system: "qemu-system-arm",
  // the LPAE kernel needs a Cortex-A15; keep RAM below 4 GiB addresses
  machine: ["-M", "virt,highmem=off", "-cpu", "cortex-a15"],
  memoryMiB: 256,
  console: "ttyAMA0",
  kernelPackage: "linux-image-armmp-lpae",
  debianArch: "armhf",
  kernelModules: virtioModules,
  extra: [],
};
