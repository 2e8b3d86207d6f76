// QEMU "Malta" board, little-endian MIPS32 (the manual's "qemu" device uses big-endian MIPS; this is
// the little-endian variant, whose CPU the runtime is built for with Debian's mipsel packages).
import { qemuDevice } from "../lib/qemu.ts";

export default qemuDevice({
  name: "qemu-mipsel",
  cpu: "mipsel",
  debianArch: "mipsel",
  console: "ttyS0",
  kernelConfig: { MIPS_MALTA: "y", CPU_MIPS32_R2: "y", CPU_LITTLE_ENDIAN: "y", SERIAL_8250: "y", SERIAL_8250_CONSOLE: "y" },
});
