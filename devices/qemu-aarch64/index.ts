// QEMU "virt" board with a 64-bit ARM CPU.
import { qemuDevice } from "../lib/qemu.ts";

export default qemuDevice({
  name: "qemu-aarch64",
  cpu: "aarch64",
  debianArch: "arm64",
  console: "ttyAMA0",
  kernelConfig: { ARCH_VEXPRESS: "y", SERIAL_AMBA_PL011: "y", SERIAL_AMBA_PL011_CONSOLE: "y" },
});
