// The mtdimage output of NOR-flash routers: firmware.bin, written over the flash's "firmware"
// partition (hardware.flash.address/size), holding the kernel as an lzma uImage with the board's
// device tree appended, then the squashfs root, each padded with 0xff (erased flash) to the flash
// erase block; and flash.scr, the U-Boot commands that fetch it by TFTP and write it.
//
// How the kernel finds its root: the device tree appended to the kernel gets two more partitions
// after the board's own, "kernel" and "rootfs", at the offsets this layout gives them inside
// "firmware"; the command line says root=<hardware.rootDevice>, the MTD block device of "rootfs"
// (checked against the compiled device tree, so the two cannot drift apart). The rootfs offset
// depends on the packed kernel's size, which contains the device tree naming that offset: the
// kernel is packed again with the new offset until the one it names is at or beyond its end
// (the device tree's size does not depend on the numbers in it, so this settles at once).
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SystemDescription } from "../config/compile.ts";
import { compileDtb } from "../kernel/dtb.ts";
import { kernelForSystem } from "../kernel/index.ts";
import { kernelEntry, readSystemMap } from "../kernel/symbols.ts";
import { uimage } from "../kernel/uimage.ts";
import { run } from "../lib/run.ts";
import { squashfs } from "../rootfs/squashfs.ts";
import type { TreeEntry } from "../rootfs/tree.ts";
import { writeUbootScript } from "./uboot-script.ts";
import { alignUp, hex } from "../lib/numbers.ts";

export interface MtdLayout {
  /** Offsets are from the start of the flash; the firmware partition is where firmware.bin goes. */
  firmware: { offset: number; size: number; address: number };
  eraseBlockSize: number;
  kernel: { offset: number; size: number; padded: number };
  rootfs: { offset: number; size: number; padded: number };
  /** firmware.bin's size and what is left of the partition after it. */
  imageSize: number;
  free: number;
  /** The partitions of the final device tree, in MTD order. */
  partitions: Partition[];
  rootDevice: string;
  commandLine: string;
}

export interface Partition {
  label: string;
  offset: number;
  size: number;
}

export class MtdImageError extends Error {}

/** Facts of the device the output needs, each named when missing. */
function deviceFacts(system: SystemDescription) {
  const h = system.hardware;
  const name = system.device.name;
  const need = <T>(v: T | undefined | null, option: string): T => {
    if (v === undefined || v === null)
      throw new MtdImageError(`mtdimage for ${name}: hardware.${option} is not set (the device must say it)`);
    return v;
  };
  const cpu = system.device.cpu;
  if (cpu !== "mipsel" && cpu !== "mips")
    throw new MtdImageError(
      `mtdimage for ${name}: packs MIPS kernels with an appended device tree; CPU "${cpu}" is not MIPS`,
    );
  const eraseBlockSize = need(h.flash.eraseBlockSize, "flash.eraseBlockSize");
  if (eraseBlockSize <= 0 || (eraseBlockSize & (eraseBlockSize - 1)) !== 0)
    throw new MtdImageError(
      `mtdimage for ${name}: hardware.flash.eraseBlockSize ${eraseBlockSize} is not a power of two`,
    );
  return {
    name,
    cpu,
    address: need(h.flash.address, "flash.address"),
    size: need(h.flash.size, "flash.size"),
    eraseBlockSize,
    loadAddress: need(h.loadAddress, "loadAddress"),
    entryPoint: need(h.entryPoint, "entryPoint"),
    rootDevice: need(h.rootDevice, "rootDevice"),
    dts: need(h.dts.src, "dts.src"),
  };
}

/** Writes firmware.bin, board.dtb, flash.scr (with flash.txt) and layout.json into `out`. */
export async function mtdimage(
  system: SystemDescription,
  root: TreeEntry[],
  out: string,
  progress: (step: string) => void = () => {},
): Promise<MtdLayout> {
  const d = deviceFacts(system);
  if (system.rootfsType !== "squashfs")
    throw new MtdImageError(
      `mtdimage for ${d.name}: root filesystem type "${system.rootfsType}" is not supported yet (squashfs is; set rootfsType: "squashfs")`,
    );

  progress("mtdimage: making the squashfs root");
  const rootFile = join(out, "rootfs.squashfs");
  // 1 MiB blocks, the largest squashfs has: xz finds more to share, about 4% off a router's
  // root. The price is RAM, not flash: the kernel keeps a few blocks decompressed (its fragment
  // cache, a data block and the xz dictionary, about 5 MiB instead of 1.25), fine with these boards' 128 MiB.
  await squashfs(root, rootFile, { compression: "xz", blockSize: 1 << 20 });
  const rootSize = (await stat(rootFile)).size;
  // no kernel can make it fit if the root alone does not: fail before the long kernel build
  if (alignUp(rootSize, d.eraseBlockSize) >= d.size) throw tooBig(d, null, rootSize);

  progress("mtdimage: building the kernel");
  const kernel = await kernelForSystem(system, progress);
  const raw = kernel.targets["vmlinux.bin"];
  if (!raw)
    throw new MtdImageError(
      `mtdimage for ${d.name}: the device's kernel.makeTargets must include "vmlinux.bin" (the raw kernel the uImage holds)`,
    );
  await checkRawKernel(d, raw, kernel.systemMap);

  const commandLine = [
    ...system.boot.commandLine,
    `root=${d.rootDevice}`,
    "rootfstype=squashfs",
    "ro",
    ...(system.rootOptions ? [`rootflags=${system.rootOptions}`] : []),
  ].join(" ");
  const fragment = join(out, "mtdimage.dtsi");
  const kernelFile = join(out, "kernel.uimage");
  let firmware: Partition | undefined;
  let rootOffset = 0; // unknown until the board's firmware partition is read from its device tree
  let dtb: string;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 4)
      throw new MtdImageError(`mtdimage for ${d.name}: the kernel and rootfs offsets did not settle (a bug)`);
    await writeFile(fragment, deviceTreeAdditions(commandLine, firmware, rootOffset));
    dtb = await compileDtb({
      cpu: d.cpu,
      src: d.dts,
      includes: [...system.hardware.dts.includes, fragment],
      includePaths: system.hardware.dts.includePaths,
    });
    firmware ??= boardFirmware(d, await partitionsOf(dtb));
    if (rootOffset === 0) {
      rootOffset = firmware.offset + d.eraseBlockSize; // a first guess, corrected below
      continue;
    }
    progress(`mtdimage: packing the kernel (rootfs at ${hex(rootOffset)})`);
    await uimage({
      arch: "mips",
      compression: "lzma",
      loadAddress: d.loadAddress,
      entryPoint: d.entryPoint,
      name: `Limen ${d.name}`.slice(0, 31),
      payload: [raw, dtb],
      out: kernelFile,
    });
    const needed = firmware.offset + alignUp((await stat(kernelFile)).size, d.eraseBlockSize);
    if (needed <= rootOffset) break;
    rootOffset = needed;
  }
  const kernelSize = (await stat(kernelFile)).size;
  const partitions = await partitionsOf(dtb);
  checkRootDevice(d, partitions);

  const kernelPadded = rootOffset - firmware.offset;
  const rootPadded = alignUp(rootSize, d.eraseBlockSize);
  const imageSize = kernelPadded + rootPadded;
  if (imageSize > d.size) throw tooBig(d, { size: kernelSize, padded: kernelPadded }, rootSize);

  progress("mtdimage: writing firmware.bin and flash.scr");
  const image = Buffer.alloc(imageSize, 0xff);
  (await readFile(kernelFile)).copy(image, 0);
  (await readFile(rootFile)).copy(image, kernelPadded);
  await writeFile(join(out, "firmware.bin"), image);
  await writeFile(join(out, "board.dtb"), await readFile(dtb));
  await writeUbootScript(out, "flash", d.cpu, flashCommands(system, d.address, imageSize));

  const layout: MtdLayout = {
    firmware: { offset: firmware.offset, size: firmware.size, address: d.address },
    eraseBlockSize: d.eraseBlockSize,
    kernel: { offset: firmware.offset, size: kernelSize, padded: kernelPadded },
    rootfs: { offset: rootOffset, size: rootSize, padded: rootPadded },
    imageSize,
    free: d.size - imageSize,
    partitions,
    rootDevice: d.rootDevice,
    commandLine,
  };
  await writeFile(join(out, "layout.json"), JSON.stringify(layout, null, 1) + "\n");
  return layout;
}

type Facts = ReturnType<typeof deviceFacts>;

function tooBig(d: Facts, kernel: { size: number; padded: number } | null, rootSize: number): MtdImageError {
  const rootPadded = alignUp(rootSize, d.eraseBlockSize);
  const parts = [
    ...(kernel ? [`kernel ${kernel.size} bytes (${kernel.padded} with erase-block padding)`] : []),
    `root filesystem ${rootSize} bytes (${rootPadded} padded)`,
  ];
  const total = (kernel?.padded ?? 0) + rootPadded;
  return new MtdImageError(
    `mtdimage for ${d.name}: firmware.bin does not fit the firmware partition: ${parts.join(" + ")} = ${total} bytes, ` +
      `partition ${d.size} bytes at ${hex(d.address)} (${total - d.size} bytes too many${kernel ? "" : ", before the kernel is even added"})`,
  );
}

/**
 * The raw kernel must end exactly where the kernel looks for an appended device tree
 * (__appended_dtb), and U-Boot must enter it at its entry code: both read from System.map.
 */
async function checkRawKernel(d: Facts, raw: string, systemMap: string): Promise<void> {
  const symbols = await readSystemMap(systemMap);
  const appended = symbols.get("__appended_dtb");
  const size = (await stat(raw)).size;
  if (appended === undefined)
    throw new MtdImageError(
      `mtdimage for ${d.name}: the kernel has no __appended_dtb (kernel option MIPS_RAW_APPENDED_DTB is needed)`,
    );
  if (appended - d.loadAddress !== size) {
    throw new MtdImageError(
      `mtdimage for ${d.name}: vmlinux.bin is ${size} bytes but the kernel looks for its device tree ${appended - d.loadAddress} bytes after the load address ${hex(d.loadAddress)}`,
    );
  }
  try {
    kernelEntry(symbols, d.entryPoint);
  } catch (e) {
    throw new MtdImageError(`mtdimage for ${d.name}: ${(e as Error).message}`);
  }
}

/** The chosen node's command line and, once the layout is known, the kernel and rootfs partitions. */
function deviceTreeAdditions(commandLine: string, firmware: Partition | undefined, rootOffset: number): string {
  const lines = ["/ {", "\tchosen {", `\t\tbootargs = ${JSON.stringify(commandLine)};`, "\t};", "};"];
  if (firmware && rootOffset > 0) {
    const end = firmware.offset + firmware.size;
    // fixed node names: the device tree's size (and so the kernel's) does not depend on the offsets
    lines.push(
      "&partitions {",
      "\tkernel {",
      '\t\tlabel = "kernel";',
      `\t\treg = <${hex(firmware.offset)} ${hex(rootOffset - firmware.offset)}>;`,
      "\t\tread-only;",
      "\t};",
      "\trootfs {",
      '\t\tlabel = "rootfs";',
      `\t\treg = <${hex(rootOffset)} ${hex(end - rootOffset)}>;`,
      "\t\tread-only;",
      "\t};",
      "};",
    );
  }
  return lines.join("\n") + "\n";
}

/** The partitions of a compiled device tree's "fixed-partitions" node, in order (the MTD numbering). */
export async function partitionsOf(dtb: string): Promise<Partition[]> {
  const { stdout } = await run(["dtc", "-I", "dtb", "-O", "dts", "-q", dtb]);
  const start = stdout.indexOf('compatible = "fixed-partitions";');
  if (start < 0)
    throw new MtdImageError(
      `${dtb}: no "fixed-partitions" node (the board's .dts must describe its flash partitions, labelled "partitions")`,
    );
  const partitions: Partition[] = [];
  let depth = 0;
  let current: { label?: string; reg?: [number, number] } | null = null;
  for (const line of stdout.slice(start).split("\n").slice(1)) {
    if (line.trim().endsWith("{")) {
      depth++;
      if (depth === 1) current = {};
      continue;
    }
    if (line.trim() === "};") {
      if (depth === 0) break;
      if (depth === 1 && current) {
        if (current.label === undefined || current.reg === undefined)
          throw new MtdImageError(`${dtb}: a flash partition without label or reg`);
        partitions.push({ label: current.label, offset: current.reg[0], size: current.reg[1] });
        current = null;
      }
      depth--;
      continue;
    }
    if (depth !== 1 || !current) continue;
    const label = /^\s*label = "([^"]*)";/.exec(line);
    if (label) current.label = label[1]!;
    const reg = /^\s*reg = <(0x[0-9a-f]+) (0x[0-9a-f]+)>;/.exec(line);
    if (reg) current.reg = [parseInt(reg[1], 16), parseInt(reg[2], 16)];
  }
  return partitions;
}

/** The board's "firmware" partition, which must be the one hardware.flash.address/size describe. */
function boardFirmware(d: Facts, partitions: Partition[]): Partition {
  const firmware = partitions.find((p) => p.label === "firmware");
  if (!firmware)
    throw new MtdImageError(
      `mtdimage for ${d.name}: ${d.dts} has no partition labelled "firmware" (found: ${partitions.map((p) => p.label).join(", ") || "none"})`,
    );
  if (firmware.size !== d.size)
    throw new MtdImageError(
      `mtdimage for ${d.name}: hardware.flash.size ${hex(d.size)} differs from the "firmware" partition's size ${hex(firmware.size)} in ${d.dts}`,
    );
  if (firmware.offset % d.eraseBlockSize !== 0)
    throw new MtdImageError(
      `mtdimage for ${d.name}: the "firmware" partition at ${hex(firmware.offset)} does not start on an erase block`,
    );
  return firmware;
}

/** hardware.rootDevice must be the MTD block device of the "rootfs" partition. */
function checkRootDevice(d: Facts, partitions: Partition[]): void {
  const index = partitions.findIndex((p) => p.label === "rootfs");
  if (`/dev/mtdblock${index}` !== d.rootDevice) {
    throw new MtdImageError(
      `mtdimage for ${d.name}: the rootfs partition is MTD device ${index} (/dev/mtdblock${index}), but hardware.rootDevice is ${d.rootDevice}`,
    );
  }
}

/** U-Boot commands writing firmware.bin over the firmware partition, with literal addresses and sizes. */
function flashCommands(system: SystemDescription, address: number, size: number): string[] {
  const tftp = system.boot.tftp;
  const loadAddress = tftp.loadAddress;
  if (loadAddress === undefined)
    throw new MtdImageError(
      `mtdimage for ${system.device.name}: boot.tftp.loadAddress (the RAM address U-Boot receives firmware.bin at) is not set`,
    );
  return [
    ...(tftp.serverip ? [`setenv serverip ${tftp.serverip}`] : []),
    ...(tftp.ipaddr ? [`setenv ipaddr ${tftp.ipaddr}`] : []),
    `tftpboot ${hex(loadAddress)} firmware.bin`,
    `erase ${hex(address)} +${hex(size)}`,
    `cp.b ${hex(loadAddress)} ${hex(address)} ${hex(size)}`,
    `cmp.b ${hex(loadAddress)} ${hex(address)} ${hex(size)}`,
  ];
}
