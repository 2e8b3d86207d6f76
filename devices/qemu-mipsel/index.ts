// QEMU "Malta" board, little-endian MIPS32 (the manual's "qemu" device uses big-endian MIPS; this is
// the little-endian variant, whose CPU the runtime is built for with Debian's mipsel packages).
import { qemuDevice } from "../lib/qemu.ts";

const qemu = qemuDevice({
  name: "qemu-mipsel",
  cpu: "mipsel",
  debianArch: "mipsel",
  console: "ttyS0",
  kernelConfig: { MIPS_MALTA: "y", CPU_MIPS32_R2: "y", CPU_LITTLE_ENDIAN: "y", SERIAL_8250: "y", SERIAL_8250_CONSOLE: "y" },
  board: { system: "qemu-system-mipsel", machine: ["-M", "malta", "-cpu", "24Kf"], kernelPackage: "linux-image-4kc-malta", extra: ["-vga", "none"] },
});

export default qemu.device;
export const emulator = qemu.emulator;
