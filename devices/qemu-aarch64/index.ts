// QEMU "virt" board with a 64-bit ARM CPU.
import { limenKernelConfig } from "../lib/kernel.ts";
import { qemuDevice } from "../lib/qemu.ts";

const qemu = qemuDevice({
  name: "qemu-aarch64",
  cpu: "aarch64",
  debianArch: "arm64",
  console: "ttyAMA0",
  kernelConfig: {
    ARCH_VEXPRESS: "y", SERIAL_AMBA_PL011: "y", SERIAL_AMBA_PL011_CONSOLE: "y",
    ...limenKernelConfig,
    // virt's PCIe host bridge, the virtio menu and the random number generator framework
    PCI_HOST_GENERIC: "y", VIRTIO_MENU: "y", HW_RANDOM: "y",
  },
  board: { system: "qemu-system-aarch64", machine: ["-M", "virt", "-cpu", "cortex-a53"], kernelPackage: "linux-image-arm64", extra: [] },
});

export default qemu.device;
export const emulator = qemu.emulator;
