// QEMU "virt" board with a 64-bit ARM CPU.
import { roomyKernelConfig } from "../lib/kernel.ts";
import { qemuDevice } from "../lib/qemu.ts";

export default qemuDevice({
  name: "qemu-aarch64",
  cpu: "aarch64",
  debianArch: "arm64",
  console: "ttyAMA0",
  kernelConfig: {
    ARCH_VEXPRESS: "y",
    SERIAL_AMBA_PL011: "y",
    SERIAL_AMBA_PL011_CONSOLE: "y",
    ...roomyKernelConfig,
    // virt's PCIe host bridge, the virtio menu and the random number generator framework
    PCI_HOST_GENERIC: "y",
    VIRTIO_MENU: "y",
    HW_RANDOM: "y",
    // RAM boot (the tftpboot output): the root image U-Boot loaded into reserved memory becomes an
    // MTD device through phram, and a block device (mtdblock) the kernel mounts as root
    MTD: "y",
    MTD_PHRAM: "y",
    MTD_BLOCK: "y",
  },
  // RAM starts at 0x40000000; booti runs the Image where it is when that is 2 MiB aligned
  tftp: { loadAddress: 0x40200000, kernelFormat: "zimage" },
  board: {
    system: "qemu-system-aarch64",
    machine: ["-M", "virt", "-cpu", "cortex-a53"],
    kernelPackage: "linux-image-arm64",
    extra: [],
  },
});
