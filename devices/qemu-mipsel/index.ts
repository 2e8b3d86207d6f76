// QEMU "Malta" board, little-endian MIPS32 (the manual's "qemu" device uses big-endian MIPS; this is
// the little-endian variant, whose CPU the runtime is built for with Debian's mipsel packages).
import type { Emulator } from "../../image/qemu/emulator.ts";
import { qemuDevice, virtioModules } from "../lib/qemu.ts";

export default qemuDevice({
  name: "qemu-mipsel",
  cpu: "mipsel",
  debianArch: "mipsel",
  console: "ttyS0",
  kernelConfig: { MIPS_MALTA: "y", CPU_MIPS32_R2: "y", CPU_LITTLE_ENDIAN: "y", SERIAL_8250: "y", SERIAL_8250_CONSOLE: "y" },
});

export const emulator: Emulator = {
  system: "qemu-system-mipsel",
  machine: ["-M", "malta", "-cpu", "24Kf"],
  memoryMiB: 256,
  console: "ttyS0",
  kernelPackage: "linux-image-4kc-malta",
  debianArch: "mipsel",
  kernelModules: virtioModules,
  extra: ["-vga", "none"],
};
