// What the QEMU "devices" share: virtio network and disk, three ethernet links (wan and lan, the
// manual's socket-network conventions, and host, run.sh's user-mode NIC) and an image that run.sh
// boots directly (vmroot).
import { defineDevice } from "../../image/config/index.ts";
import network from "../../services/network/index.ts";
import type { Cpu, Emulator } from "../../image/config/module.ts";
import type { DeviceArch } from "../../image/lib/debian.ts";

/** How QEMU runs the board: everything of an Emulator that the device description does not already say. */
type Board = Pick<Emulator, "system" | "machine" | "kernelPackage" | "extra">;

/** RAM boot under U-Boot (the tftpboot output): where in the board's RAM the kernel is fetched, and its form. */
interface Tftp {
  loadAddress: number;
  kernelFormat: "zimage" | "uimage";
}

/** The device description, with the emulator facts for the image builder. */
export function qemuDevice(d: {
  name: string;
  cpu: Cpu;
  debianArch: DeviceArch;
  console: string;
  kernelConfig: Record<string, string>;
  board: Board;
  tftp?: Tftp;
  /** Where bootm copies a uImage's kernel (hardware.loadAddress). */
  loadAddress?: number;
  /** Make targets beyond the kernel image (a MIPS kernel boots from U-Boot as vmlinux.bin). */
  makeTargets?: string[];
  /** The kernel ignores the device tree QEMU or U-Boot gives it (hardware.dts.builtIn). */
  builtInDeviceTree?: boolean;
  /** The RAM size is given on the command line (mem=): the board's U-Boot reports it in a unit the kernel misreads. */
  memoryOnCommandLine?: boolean;
}) {
  const emulator: Emulator = {
    ...d.board,
    memoryMiB: 256,
    console: d.console,
    debianArch: d.debianArch,
    kernelModules: virtioModules,
    radios: { module: radios[0], parameter: "radios" },
  };
  return defineDevice({
    name: d.name,
    cpu: d.cpu,
    debianArch: d.debianArch,
    emulator,
    imports: [network],
    config: {
      hardware: {
        defaultOutput: "vmroot",
        rootDevice: "/dev/vda",
        // QEMU generates the device tree itself.
        dts: { src: null, builtIn: d.builtInDeviceTree ?? false },
        ...(d.loadAddress !== undefined ? { loadAddress: d.loadAddress } : {}),
        networkInterfaces: {
          // run.sh's first NIC is the "access" network (the manual's eth0), the second the LAN
          wan: network.svc.link.build({ name: "wan.link", ifname: "eth0" }),
          lan: network.svc.link.build({ name: "lan.link", ifname: "eth1" }),
          // the third, QEMU's user-mode network (the guest is 10.0.2.15/24 there): reaches the host
          // only where run.sh forwards a port (--ssh-port, --host-port)
          host: network.svc.link.build({ name: "host.link", ifname: "eth2" }),
          // mac80211_hwsim makes the emulated radios (wlan0, wlan1, …) when it is loaded
          wlan: network.svc.link.build({ name: "wlan.link", ifname: "wlan0", kernelModules: radios, radio: true }),
          wlan5: network.svc.link.build({ name: "wlan5.link", ifname: "wlan1", kernelModules: radios, radio: true }),
        },
      },
      boot: {
        commandLine: [
          `console=${d.console}`,
          "panic=10",
          "oops=panic",
          ...(d.memoryOnCommandLine ? [`mem=${emulator.memoryMiB}M`] : []),
        ],
        ...(d.tftp ? { tftp: d.tftp } : {}),
      },
      kernel: {
        makeTargets: d.makeTargets ?? [],
        config: {
          VIRTIO: "y",
          VIRTIO_PCI: "y",
          VIRTIO_MMIO: "y",
          VIRTIO_NET: "y",
          VIRTIO_BLK: "y",
          VIRTIO_CONSOLE: "y",
          HW_RANDOM_VIRTIO: "y",
          PCI: "y",
          SQUASHFS: "y",
          TMPFS: "y",
          WLAN: "y",
          CFG80211: "y",
          MAC80211: "y",
          // a module, so that a kernel built from source is seen building and loading one (the
          // radios' links declare it: a configuration using them on such a kernel is told to make it y)
          MAC80211_HWSIM: "m",
          ...d.kernelConfig,
        },
      },
    },
  });
}

/** The emulated radios' driver: each radio it makes has a 2.4 and a 5 GHz band. */
const radios = ["mac80211_hwsim"];

/** Debian's kernels build the virtio drivers as modules: these are loaded first, in this order. */
export const virtioModules = ["virtio_pci", "virtio_net", "virtio_blk"];
