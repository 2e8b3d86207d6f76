// QEMU "Malta" board, little-endian MIPS32 (the manual's "qemu" device uses big-endian MIPS; this is
// the little-endian variant, whose CPU the runtime is built for with Debian's mipsel packages).
import { mipsKernelConfig, roomyKernelConfig } from "../lib/kernel.ts";
import { qemuDevice } from "../lib/qemu.ts";

export default qemuDevice({
  name: "qemu-mipsel",
  cpu: "mipsel",
  debianArch: "mipsel",
  console: "ttyS0",
  kernelConfig: {
    MIPS_MALTA: "y",
    CPU_MIPS32_R2: "y",
    CPU_LITTLE_ENDIAN: "y",
    SERIAL_8250: "y",
    SERIAL_8250_CONSOLE: "y",
    ...roomyKernelConfig,
    ...mipsKernelConfig,
    // the virtio menu and the random number generator framework
    VIRTIO_MENU: "y",
    HW_RANDOM: "y",
    // the board's ethernet (an AMD PCnet, the NIC U-Boot has a driver for)
    NET_VENDOR_AMD: "y",
    PCNET32: "y",
    // RAM boot (the tftpboot output): the root image U-Boot loaded, reserved on the command line,
    // becomes an MTD device through phram and a block device (mtdblock) the kernel mounts as root
    MTD: "y",
    MTD_PHRAM: "y",
    MTD_BLOCK: "y",
  },
  makeTargets: ["vmlinux.bin"],
  // Linux on the Malta uses the device tree built into it and takes its command line from the boot
  // loader's arguments, as from YAMON
  builtInDeviceTree: true,
  // U-Boot's maltael passes the RAM size as YAMON's "memsize" in MiB, which Linux reads as bytes
  memoryOnCommandLine: true,
  // the kernel is linked to run at 0x80100000 (arch/mips/Makefile's Malta load address); boot.scr
  // fetches its uImage 64 MiB into RAM, well clear of where bootm unpacks it
  loadAddress: 0x80100000,
  tftp: { loadAddress: 0x84000000, kernelFormat: "uimage" },
  board: {
    system: "qemu-system-mipsel",
    machine: ["-M", "malta", "-cpu", "24Kf"],
    kernelPackage: "linux-image-4kc-malta",
    extra: ["-vga", "none"],
  },
});
