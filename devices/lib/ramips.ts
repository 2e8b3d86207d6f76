// What the GL.iNet MT7620A and MT7628 routers ("ramips", little-endian MIPS 24KEc) share: one
// kernel from linux-source-6.1 (mainline's SOC_MT7620 choice covers the MT7628 too, so both
// boards build the same kernel and differ only in their device tree), the U-Boot facts of
// their 16 MB NOR flash, and the mtdimage layout.
import { defineDevice } from "../../image/config/index.ts";
import type { Service } from "../../image/config/service.ts";
import network from "../../services/network/index.ts";
import { limenKernelConfig, mipsKernelConfig } from "./kernel.ts";

/**
 * Where the root is: the mtdimage output adds "kernel" and "rootfs" partitions after the board's
 * own four (u-boot, u-boot-env, factory, firmware) in the device tree it appends to the kernel, so
 * the squashfs is always the sixth MTD device. Kept in step with image/outputs/mtdimage.ts.
 */
export const rootMtdIndex = 5;

/** Kernel options of both boards: SoC, console, flash, root filesystem and what Limen runs on. */
export const ramipsKernelConfig: Record<string, string> = {
  // the SoC family and CPU; no built-in board device tree: ours is appended to the raw kernel
  // (U-Boot's bootm knows nothing of device trees on these boards) and its bootargs are the
  // command line, not the vendor U-Boot's (which names the vendor firmware's root)
  RALINK: "y",
  SOC_MT7620: "y",
  DTB_RT_NONE: "y",
  CPU_MIPS32_R2: "y",
  CPU_LITTLE_ENDIAN: "y",
  MIPS_RAW_APPENDED_DTB: "y",
  MIPS_CMDLINE_FROM_DTB: "y",
  // the SoC's 16550-style UARTs
  SERIAL_8250: "y",
  SERIAL_8250_CONSOLE: "y",
  SERIAL_OF_PLATFORM: "y",
  // NOR flash: the MT7628's SPI controller (spi-mt7621) with spi-nor; the MT7620A's flash read
  // through its memory-mapped window (physmap "mtd-rom"); partitions from the device tree; the
  // root partition as a block device for squashfs
  MTD: "y",
  MTD_OF_PARTS: "y",
  MTD_BLOCK: "y",
  SPI: "y",
  SPI_MASTER: "y",
  SPI_MT7621: "y",
  MTD_SPI_NOR: "y",
  MTD_PHYSMAP: "y",
  MTD_PHYSMAP_OF: "y",
  MTD_ROM: "y",
  SQUASHFS: "y",
  SQUASHFS_XZ: "y",
  TMPFS: "y",
  // GPIO LEDs (the MT7628's GPIO block; mainline has none for the MT7620's)
  GPIOLIB: "y",
  GPIO_MT7621: "y",
  NEW_LEDS: "y",
  LEDS_CLASS: "y",
  LEDS_GPIO: "y",
  // RAM boot (the tftpboot output): the root image U-Boot left in RAM, as an MTD device
  MTD_PHRAM: "y",
  ...limenKernelConfig,
  ...mipsKernelConfig,
};

/** Flash facts of both boards (GL.iNet's U-Boot): the firmware partition starts 0x50000 into the flash. */
const flashWindow = 0xbc000000; // the 16 MB NOR as U-Boot reads it: mapped at 0x1c000000, seen through kseg1
const firmwareOffset = 0x50000;
const eraseBlockSize = 0x10000;

export interface RamipsBoard {
  name: string;
  /** The board's .dts, beside its index.ts. */
  dts: string;
  /** Size of the firmware partition, from 0x50000 to where the board keeps its own data. */
  firmwareSize: number;
  /** Ethernet interfaces by role: the kernel interface name of each. */
  interfaces: Record<string, string>;
  /** Wireless radios by role (wlan): the kernel interface name of each. */
  radios: Record<string, string>;
  console: string;
}

export function ramipsDevice(b: RamipsBoard) {
  return defineDevice({
    name: b.name,
    cpu: "mipsel",
    debianArch: "mipsel",
    imports: [network],
    config: {
      hardware: {
        defaultOutput: "mtdimage",
        // the kernel is linked at 0x80000000 (arch/mips/ralink/Platform); after the 1 KiB kept for
        // exception vectors, BOOT_RAW puts a jump to its entry (__kernel_entry): U-Boot enters there
        loadAddress: 0x80000000,
        entryPoint: 0x80000400,
        flash: { address: flashWindow + firmwareOffset, size: b.firmwareSize, eraseBlockSize },
        rootDevice: `/dev/mtdblock${rootMtdIndex}`,
        dts: { src: b.dts, includes: [], includePaths: [] },
        networkInterfaces: Object.fromEntries([
          ...Object.entries(b.interfaces).map(([role, ifname]): [string, Service] => [
            role,
            network.svc.link.build({ name: `${role}.link`, ifname }),
          ]),
          ...Object.entries(b.radios).map(([role, ifname]): [string, Service] => [
            role,
            network.svc.link.build({ name: `${role}.link`, ifname, radio: true }),
          ]),
        ]),
      },
      boot: {
        commandLine: [`console=${b.console}`, "panic=10", "oops=panic"],
        // flash.scr receives firmware.bin 16 MB into RAM: clear of the kernel's load address below
        // and of U-Boot, which moves itself to the top of the 128 MB
        tftp: { loadAddress: 0x81000000 },
      },
      kernel: { config: ramipsKernelConfig, makeTargets: ["vmlinux.bin"] },
    },
  });
}
