// QEMU "virt" board with a 32-bit ARMv7 CPU.
import { qemuDevice } from "../lib/qemu.ts";

export default qemuDevice({
  name: "qemu-armv7l",
  cpu: "armv7",
  debianArch: "armhf",
  console: "ttyAMA0",
  kernelConfig: { ARCH_VIRT: "y", VFP: "y", NEON: "y", SERIAL_AMBA_PL011: "y", SERIAL_AMBA_PL011_CONSOLE: "y" },
  // the LPAE kernel needs a Cortex-A15; highmem=off keeps RAM below 4 GiB addresses
  board: {
    system: "qemu-system-arm",
    machine: ["-M", "virt,highmem=off", "-cpu", "cortex-a15"],
    kernelPackage: "linux-image-armmp-lpae",
    extra: [],
  },
});
