// QEMU "virt" board with a 64-bit ARM CPU.
import type { Emulator } from "../../image/qemu/emulator.ts";
import { qemuDevice, virtioModules } from "../lib/qemu.ts";

export default qemuDevice({
  name: "qemu-aarch64",
  cpu: "aarch64",
  debianArch: "arm64",
  console: "ttyAMA0",
  kernelConfig: { ARCH_VEXPRESS: "y", SERIAL_AMBA_PL011: "y", SERIAL_AMBA_PL011_CONSOLE: "y" },
});

export const emulator: Emulator = {
  system: "qemu-system-aarch64",
  machine: ["-M", "virt", "-cpu", "cortex-a53"],
  memoryMiB: 256,
  console: "ttyAMA0",
  kernelPackage: "linux-image-arm64",
  debianArch: "arm64",
  kernelModules: virtioModules,
  extra: [],
};
