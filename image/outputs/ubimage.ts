// The ubimage output (manual: Appendix C "ubimage", the Belkin RT-3200 section): a UBIFS image of
// the root filesystem, laid out for the device's NAND geometry, holding the kernel as a FIT image
// at boot/fit (U-Boot: ubifsmount ubi0:<volume>; ubifsload ${loadaddr} boot/fit; bootm), and
// flash.scr, the U-Boot commands that fetch the image over TFTP and write it into the UBI volume.
import { copyFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ensureCommands } from "../lib/host-programs.ts";
import type { SystemDescription } from "../config/compile.ts";
import { compileDtb, fitImage, kernelForSystem } from "../kernel/index.ts";
import { run } from "../lib/run.ts";
import type { TreeEntry } from "../rootfs/tree.ts";
import { ubifs, type UbiGeometry } from "../rootfs/ubifs.ts";
import { writeUbootScript } from "./uboot-script.ts";
import { hex } from "../lib/numbers.ts";

/**
 * What UBI keeps of a device's erase blocks for itself: the volume table (2), wear-leveling (1), atomic LEB change (1).
 */
const ubiReservedPebs = 4;
/** Erase blocks UBI sets aside for bad blocks, per 1024 (Linux's CONFIG_MTD_UBI_BEB_LIMIT default). */
const badBlockReservePer1024 = 20;

export interface UbimageFacts {
  geometry: UbiGeometry;
  /** The UBI device (ubi0) and volume of hardware.rootDevice "ubi0:liminix". */
  ubiDevice: string;
  volume: string;
  /** The most the volume can hold, and why: maxLEBcount, or the UBI partition's usable erase blocks. */
  capacityLebs: number;
  capacityReason: string;
  loadAddress: number;
  entryPoint: number;
  dts: string;
}

/** Checks and reads the options the output needs, naming every one that is missing or wrong. */
export function ubimageFacts(system: SystemDescription): UbimageFacts {
  const { hardware: hw, boot } = system;
  const name = system.device.name;
  const problems: string[] = [];
  if (system.rootfsType !== "ubifs") problems.push(`rootfsType is "${system.rootfsType}"; ubimage makes "ubifs"`);
  if (boot.imageFormat !== "fit")
    problems.push(`boot.imageFormat is "${boot.imageFormat}"; ubimage puts a FIT image at boot/fit`);
  if (!hw.dts.src) problems.push("hardware.dts.src is not set: the FIT image needs the board's device tree");
  if (hw.loadAddress === undefined) problems.push("hardware.loadAddress is not set");
  if (hw.entryPoint === undefined) problems.push("hardware.entryPoint is not set");
  const root = /^(ubi\d+):([A-Za-z0-9_.-]+)$/.exec(hw.rootDevice ?? "");
  if (!root)
    problems.push(
      `hardware.rootDevice ${JSON.stringify(hw.rootDevice ?? null)} is not a UBI volume such as "ubi0:liminix"`,
    );
  const number = (key: keyof typeof hw.ubi): number => {
    const v = hw.ubi[key];
    if (v === undefined) problems.push(`hardware.ubi.${key} is not set`);
    return v ?? 0;
  };
  const geometry: UbiGeometry = {
    minIOSize: number("minIOSize"),
    physicalEraseBlockSize: number("physicalEraseBlockSize"),
    logicalEraseBlockSize: number("logicalEraseBlockSize"),
    maxLEBcount: number("maxLEBcount"),
  };
  if (problems.length === 0 && geometry.logicalEraseBlockSize >= geometry.physicalEraseBlockSize) {
    problems.push(
      `hardware.ubi.logicalEraseBlockSize ${geometry.logicalEraseBlockSize} must be less than physicalEraseBlockSize ${geometry.physicalEraseBlockSize} (UBI's headers take the difference)`,
    );
  }
  if (problems.length === 0 && geometry.logicalEraseBlockSize % geometry.minIOSize !== 0) {
    problems.push(
      `hardware.ubi.logicalEraseBlockSize ${geometry.logicalEraseBlockSize} is not a multiple of minIOSize ${geometry.minIOSize}`,
    );
  }
  if (problems.length > 0) throw new Error(`ubimage for ${name}:\n${problems.map((p) => `  ${p}`).join("\n")}`);

  let capacityLebs = geometry.maxLEBcount;
  let capacityReason = `hardware.ubi.maxLEBcount ${geometry.maxLEBcount}`;
  if (hw.flash.size !== undefined) {
    const pebs = Math.floor(hw.flash.size / geometry.physicalEraseBlockSize);
    const usable = pebs - ubiReservedPebs - Math.ceil((pebs * badBlockReservePer1024) / 1024);
    if (usable < capacityLebs) {
      capacityLebs = usable;
      capacityReason = `the UBI partition (hardware.flash.size ${mib(hw.flash.size)}) has ${pebs} erase blocks, ${usable} of them usable after UBI's own and the bad block reserve`;
    }
  }
  return {
    geometry,
    ubiDevice: root![1],
    volume: root![2],
    capacityLebs,
    capacityReason,
    loadAddress: hw.loadAddress!,
    entryPoint: hw.entryPoint!,
    dts: hw.dts.src!,
  };
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** The kernel's command line: the device's, then the UBIFS root. */
export function ubiCommandLine(system: SystemDescription): string {
  const line = [
    ...system.boot.commandLine,
    `root=${system.hardware.rootDevice}`,
    "rootfstype=ubifs",
    ...(system.rootOptions ? [`rootflags=${system.rootOptions}`] : []),
  ].join(" ");
  if (/[^\x20-\x7e]/.test(line))
    throw new Error(
      `ubimage: the kernel command line holds characters a device tree string cannot: ${JSON.stringify(line)}`,
    );
  return line;
}

/** The U-Boot commands that fetch `rootfs` over TFTP and write it into the volume (the manual's step 3). */
export function flashCommands(system: SystemDescription, facts: UbimageFacts): string[] {
  const { tftp } = system.boot;
  if (tftp.loadAddress === undefined)
    throw new Error(
      `ubimage: set boot.tftp.loadAddress for ${system.device.name} (where U-Boot receives the image in RAM)`,
    );
  for (const k of ["serverip", "ipaddr"] as const) {
    const v = tftp[k];
    if (v !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(v))
      throw new Error(`ubimage: boot.tftp.${k} "${v}" is not an IPv4 address`);
  }
  return [
    // addresses not given stay whatever U-Boot's environment says
    ...(tftp.serverip ? [`setenv serverip ${tftp.serverip}`] : []),
    ...(tftp.ipaddr ? [`setenv ipaddr ${tftp.ipaddr}`] : []),
    `setenv loadaddr ${hex(tftp.loadAddress)}`,
    "tftpboot ${loadaddr} rootfs",
    // the MTD partition holding the UBI device, as named in the device tree
    "ubi part ubi",
    `ubi write \${loadaddr} ${facts.volume} \${filesize}`,
  ];
}

/** Throws, with the sizes, when a UBIFS image of `size` bytes does not fit the volume. */
export function checkVolumeFits(size: number, facts: UbimageFacts): void {
  const capacity = facts.capacityLebs * facts.geometry.logicalEraseBlockSize;
  if (size <= capacity) return;
  throw new Error(
    `ubimage: the root filesystem is ${size} bytes (${mib(size)}, ${Math.ceil(size / facts.geometry.logicalEraseBlockSize)} LEBs of ${facts.geometry.logicalEraseBlockSize}) ` +
      `but the volume ${facts.ubiDevice}:${facts.volume} can hold at most ${capacity} bytes (${mib(capacity)}, ${facts.capacityLebs} LEBs: ${facts.capacityReason}); ` +
      `${size - capacity} bytes too many: leave out packages or services`,
  );
}

/**
 * Writes the ubimage output of `system` with root tree `root` into `out`: rootfs (the UBIFS image),
 * flash.scr and flash.txt, and beside them the FIT and the device tree it holds (board.dtb), for a
 * look or for booting from RAM by hand (tftpboot; bootm).
 */
export async function ubimage(
  system: SystemDescription,
  root: TreeEntry[],
  out: string,
  progress: (step: string) => void = () => {},
): Promise<void> {
  // everything that can be checked is checked before any work is done
  const facts = ubimageFacts(system);
  const commandLine = ubiCommandLine(system);
  const lines = flashCommands(system, facts);
  const cpu = system.device.cpu;
  ensureCommands(["fdtput"]);

  progress("compiling the device tree");
  const { dts } = system.hardware;
  const dtb = join(out, "board.dtb");
  await copyFile(
    await compileDtb({ cpu, src: facts.dts, includes: dts.includes, includePaths: dts.includePaths }),
    dtb,
  );
  await run(["fdtput", "-t", "s", dtb, "/chosen", system.boot.commandLineDtbNode, commandLine]);

  progress(`building the kernel for ${cpu} (cached after the first build)`);
  const kernel = await kernelForSystem(system, progress);
  const fit = join(out, "fit");
  await fitImage({
    cpu,
    kernel: kernel.image,
    compression: "lzma",
    dtb,
    loadAddress: facts.loadAddress,
    entryPoint: facts.entryPoint,
    description: `Limen ${system.hostname} for ${system.device.name}`,
    alignment: system.hardware.alignment,
    out: fit,
  });

  progress("making the UBIFS root filesystem");
  const rootfs = join(out, "rootfs");
  await ubifs(
    [...root, { type: "file", path: "/boot/fit", mode: 0o644, uid: 0, gid: 0, content: { hostPath: fit } }],
    rootfs,
    facts.geometry,
  );
  checkVolumeFits((await stat(rootfs)).size, facts);
  await writeUbootScript(out, "flash", cpu, lines);
}
