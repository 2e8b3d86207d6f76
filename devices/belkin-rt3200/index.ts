// Belkin RT-3200, the same hardware as the Linksys E8450: MediaTek MT7622BV (two Cortex-A53),
// 512 MB RAM, 128 MB SPI-NAND on the SoC's SPI-NAND flash interface holding a UBI device that
// OpenWrt's UBI installer lays out (the manual's "Preparation"), an MT7531 switch (lan1-4, wan),
// MT7622 2.4 GHz and MT7915 5 GHz radios (drivers mt7615e and mt7915e, not in its kernel yet).
// U-Boot boots a FIT image from boot/fit in the UBIFS volume "liminix".
import { join } from "node:path";
import { defineDevice } from "../../image/config/index.ts";
import network from "../../services/network/index.ts";
import { roomyKernelConfig } from "../lib/kernel.ts";

// ARCH_MEDIATEK turns on the clock and pin drivers of every MediaTek SoC: only the MT7622's are kept
const otherSocs = [
  "MT2712",
  "MT6765",
  "MT6779",
  "MT6795",
  "MT6797",
  "MT7986",
  "MT8167",
  "MT8173",
  "MT8183",
  "MT8186",
  "MT8192",
  "MT8195",
  "MT8365",
  "MT8516",
];
const otherSocDrivers = Object.fromEntries(
  otherSocs.flatMap((soc) => [
    [`COMMON_CLK_${soc}`, "n"],
    [`PINCTRL_${soc}`, "n"],
  ]),
);

const link = (ifname: string) => network.svc.link.build({ name: `${ifname}.link`, ifname });

export default defineDevice({
  name: "belkin-rt3200",
  cpu: "aarch64",
  debianArch: "arm64",
  imports: [network],
  config: {
    hardware: {
      defaultOutput: "ubimage",
      dts: { src: join(import.meta.dirname, "belkin-rt3200.dts") },
      // the kernel is unpacked here from the FIT; RAM starts at 0x40000000 and the secure
      // monitor keeps 0x43000000-0x4302ffff
      loadAddress: 0x44000000,
      entryPoint: 0x44000000,
      // the "ubi" MTD partition (see the .dts): 125 MiB of 128 KiB erase blocks
      flash: { address: 0x300000, size: 0x7d00000, eraseBlockSize: 0x20000 },
      rootDevice: "ubi0:liminix",
      // 2 KiB pages, 128 KiB erase blocks; a LEB loses two pages to UBI's headers
      ubi: {
        minIOSize: 2048,
        physicalEraseBlockSize: 131072,
        logicalEraseBlockSize: 126976,
        maxLEBcount: 1024,
      },
      networkInterfaces: {
        // the MAC whose frames the switch tags for its ports (DSA conduit)
        eth: link("eth0"),
        lan: link("lan1"),
        lan2: link("lan2"),
        lan3: link("lan3"),
        lan4: link("lan4"),
        wan: link("wan"),
        // the MT7622's own 2.4 GHz radio, then the MT7915's 5 GHz one
        wlan: network.svc.link.build({ name: "wlan0.link", ifname: "wlan0", radio: true }),
        wlan5: network.svc.link.build({ name: "wlan1.link", ifname: "wlan1", radio: true }),
      },
    },
    rootfsType: "ubifs",
    boot: {
      imageFormat: "fit",
      commandLine: ["console=ttyS0,115200", "earlycon=uart8250,mmio32,0x11002000", "ubi.mtd=ubi"],
      // U-Boot's loadaddr on this board, as in the manual's flashing steps
      tftp: { loadAddress: 0x4007ff28 },
    },
    kernel: {
      config: {
        ...roomyKernelConfig,
        ARCH_MEDIATEK: "y",
        ...otherSocDrivers,
        PINCTRL_MT8188: "n",
        MTK_MMSYS: "n",
        // the SoC's clocks, pins, power domains and timers
        COMMON_CLK_MT7622: "y",
        COMMON_CLK_MT7622_ETHSYS: "y",
        COMMON_CLK_MT7622_HIFSYS: "y",
        PINCTRL_MT7622: "y",
        MTK_SCPSYS: "y",
        MTK_INFRACFG: "y",
        // the console: the 8250-compatible UART at 0x11002000
        SERIAL_8250: "y",
        SERIAL_8250_CONSOLE: "y",
        SERIAL_OF_PLATFORM: "y",
        SERIAL_8250_MT6577: "y",
        SERIAL_EARLYCON: "y",
        // SPI-NAND on the flash interface with the SoC's ECC engine, its partitions, UBI and UBIFS
        SPI: "y",
        SPI_MASTER: "y",
        SPI_MEM: "y",
        SPI_MTK_SNFI: "y",
        MTD: "y",
        MTD_NAND_ECC_MEDIATEK: "y",
        MTD_SPI_NAND: "y",
        MTD_OF_PARTS: "y",
        MTD_UBI: "y",
        UBIFS_FS: "y",
        NVMEM: "y",
        // the Ethernet MAC and the MT7531 switch behind it, one interface a port (DSA)
        NET_VENDOR_MEDIATEK: "y",
        NET_MEDIATEK_SOC: "y",
        NET_DSA: "y",
        NET_DSA_MT7530: "y",
        BRIDGE: "y",
        // LEDs, the watchdog, the hardware random number generator
        GPIOLIB: "y",
        NEW_LEDS: "y",
        LEDS_CLASS: "y",
        LEDS_GPIO: "y",
        WATCHDOG: "y",
        MEDIATEK_WATCHDOG: "y",
        HW_RANDOM: "y",
        HW_RANDOM_MTK: "y",
      },
    },
  },
});
