// The tftpboot output (manual: "Running from RAM", Appendix C "tftpboot"): the kernel, the root
// filesystem and boot.scr, whose U-Boot commands fetch both over TFTP and boot the kernel with the
// root image left in RAM. The device tree reserves that RAM as a "phram" region (Linux 6.1 makes
// an MTD device of a reserved-memory node compatible with "phram"), mtdblock makes it a block
// device, and the kernel mounts it as root. A device tree the builder compiles is patched here,
// at build time; a board's own one (QEMU's, in U-Boot's memory) by boot.scr's `fdt` commands.
// Both come from one list of edits. A kernel that reads only the tree built into it (QEMU's Malta)
// is told instead on its command line: memmap= reserves the region, phram.phram= names it.
import { copyFile, open, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureCommands } from "../lib/host-programs.ts";
import type { SystemDescription } from "../config/compile.ts";
import { cpus, type Cpu } from "../config/module.ts";
import { compileDtb, kernelForSystem, type Kernel } from "../kernel/index.ts";
import { parseConfig } from "../kernel/kconfig.ts";
import { kernelEntry, readSystemMap } from "../kernel/symbols.ts";
import { lzmaAlone, uimage, uimageHeaderSize } from "../kernel/uimage.ts";
import { run } from "../lib/run.ts";
import { squashfs } from "../rootfs/squashfs.ts";
import type { TreeEntry } from "../rootfs/tree.ts";
import { ubootArch, writeUbootScript } from "./uboot-script.ts";

const MiB = 0x100000;
const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;
const hex = (n: number) => `0x${n.toString(16)}`;

/** Where boot.scr puts each file in RAM; every region starts on a MiB boundary. */
export interface RamLayout {
  kernel: number;
  root: number;
  /** The phram region: the root image and boot.tftp.freeSpaceBytes, rounded up to a MiB. */
  rootSize: number;
  /** The device tree, with room to grow by the edits. */
  dtb: number;
  /** Where the compressed root image is fetched before lzmadec unpacks it to `root` (compressRoot). */
  compressedRoot: number | null;
  /** First byte after everything boot.scr loads. */
  end: number;
}

export const dtbSpace = MiB;

export function ramLayout(
  loadAddress: number,
  kernelFootprint: number,
  rootImageSize: number,
  freeSpaceBytes: number,
  compressedRootSize: number | null,
): RamLayout {
  const root = alignUp(loadAddress + kernelFootprint, MiB);
  const rootSize = alignUp(rootImageSize + freeSpaceBytes, MiB);
  const dtb = root + rootSize;
  const compressedRoot = compressedRootSize === null ? null : dtb + dtbSpace;
  const end =
    compressedRoot === null || compressedRootSize === null ? dtb + dtbSpace : compressedRoot + compressedRootSize;
  return { kernel: loadAddress, root, rootSize, dtb, compressedRoot, end };
}

/** The root image's RAM as the kernel addresses it. */
export interface PhramRegion {
  start: number;
  size: number;
}

/**
 * The phram region at a physical address: MIPS U-Boot works in kseg0/kseg1, the unmapped windows
 * at 0x80000000 and 0xa0000000 onto the first 512 MiB; the kernel's memory map is physical.
 */
export function phramRegion(cpu: Cpu, layout: RamLayout): PhramRegion {
  const mips = cpu === "mipsel" || cpu === "mips";
  const start = mips && layout.root >= 0x80000000 && layout.root < 0xc0000000 ? layout.root & 0x1fffffff : layout.root;
  return { start, size: layout.rootSize };
}

/** Kernel arguments that reserve the region and make it the MTD device "rootfs", for a kernel that ignores the boot loader's tree. */
export function phramArguments(region: PhramRegion): string[] {
  return [
    `memmap=${hex(region.size)}$${hex(region.start)}`,
    `phram.phram=rootfs,${hex(region.start)},${hex(region.size)}`,
  ];
}

export type DtValue = { cells: number[] } | { string: string } | { empty: true };
/** A node to create, or a property to set. */
export type DtEdit = { node: string } | { node: string; property: string; value: DtValue };

/** The edits that reserve the root image's RAM for phram and set the kernel's command line. */
export function ramBootEdits(
  region: PhramRegion,
  addressCells: 1 | 2,
  commandLineNode: string,
  commandLine: string,
  createReservedMemory: boolean,
): DtEdit[] {
  const cells = (n: number) => (addressCells === 2 ? [Math.floor(n / 2 ** 32), n % 2 ** 32] : [n]);
  const node = `/reserved-memory/phram-rootfs@${region.start.toString(16)}`;
  return [
    ...(createReservedMemory
      ? [
          { node: "/reserved-memory" },
          { node: "/reserved-memory", property: "#address-cells", value: { cells: [addressCells] } },
          { node: "/reserved-memory", property: "#size-cells", value: { cells: [addressCells] } },
          { node: "/reserved-memory", property: "ranges", value: { empty: true as const } },
        ]
      : []),
    { node },
    { node, property: "compatible", value: { string: "phram" } },
    // the MTD device's name
    { node, property: "label", value: { string: "rootfs" } },
    { node, property: "reg", value: { cells: [...cells(region.start), ...cells(region.size)] } },
    { node: "/chosen", property: commandLineNode, value: { string: commandLine } },
  ];
}

function split(path: string): [parent: string, name: string] {
  const at = path.lastIndexOf("/");
  return [at === 0 ? "/" : path.slice(0, at), path.slice(at + 1)];
}

/** The edits as U-Boot `fdt` commands on the working device tree. */
export function fdtCommands(edits: DtEdit[]): string[] {
  return edits.map((e) => {
    if (!("property" in e)) return `fdt mknode ${split(e.node).join(" ")}`;
    // quoted: hush reads an unquoted word starting with # as a comment
    const head = `fdt set ${e.node} "${e.property}"`;
    const v = e.value;
    if ("cells" in v) return `${head} <${v.cells.map(hex).join(" ")}>`;
    if ("string" in v) return `${head} "${v.string}"`;
    return head;
  });
}

/** Applies the edits to a .dtb file with fdtput. */
export async function applyEdits(dtb: string, edits: DtEdit[]): Promise<void> {
  for (const e of edits) {
    if (!("property" in e)) await run(["fdtput", "-c", dtb, e.node]);
    else if ("cells" in e.value)
      await run(["fdtput", "-t", "u", dtb, e.node, e.property, ...e.value.cells.map(String)]);
    else if ("string" in e.value) await run(["fdtput", "-t", "s", dtb, e.node, e.property, e.value.string]);
    else await run(["fdtput", dtb, e.node, e.property]);
  }
}

async function fdtget(dtb: string, node: string, property: string): Promise<string | null> {
  try {
    return (await run(["fdtget", dtb, node, property])).stdout.trim();
  } catch {
    return null;
  }
}

/** #address-cells of a word of this CPU: what a board's root node uses when it has no .dts here. */
const wordCells = (cpu: Cpu): 1 | 2 => (cpu === "aarch64" ? 2 : 1);

/** The kernel's command line for RAM boot: phram is the first MTD device (see rootDevice). */
export function ramBootCommandLine(system: SystemDescription): string {
  // drivers/mtd/devices (phram) is linked before drivers/mtd/nand and drivers/spi, so phram takes
  // mtd0 ahead of the board's flash
  const line = [
    ...system.boot.commandLine,
    "root=/dev/mtdblock0",
    `rootfstype=${system.rootfsType}`,
    "ro",
    "rootwait",
  ].join(" ");
  const bad = /["'\\$]/.exec(line);
  if (bad)
    throw new Error(
      `tftpboot: boot.commandLine holds ${bad[0]}, which boot.scr cannot pass inside a U-Boot string: ${line}`,
    );
  return line;
}

interface KernelPlan {
  /** The kernel binary: arm64 Image, arm zImage, MIPS vmlinux.bin. */
  payload: string;
  format: "uimage" | "raw";
  boot: "booti" | "bootz" | "bootm";
  /** RAM the kernel file takes where boot.scr loads it (arm64: the Image header's image_size, bss included). */
  footprint: number;
  /** Where bootm copies a uImage's kernel before it starts it, and enters it. */
  copiedTo?: number;
  entryPoint?: number;
}

/** Where U-Boot enters the MIPS kernel of `system` (see kernelEntry). */
async function mipsEntry(system: SystemDescription, kernel: Kernel): Promise<number> {
  try {
    return kernelEntry(await readSystemMap(kernel.systemMap), system.hardware.entryPoint);
  } catch (e) {
    throw new Error(`tftpboot for ${system.device.name}: ${(e as Error).message}`);
  }
}

/** How boot.scr loads and starts the kernel, as boot.tftp.kernelFormat asks; nothing is written yet. */
async function kernelPlan(system: SystemDescription, cpu: Cpu, kernel: Kernel, hasDtb: boolean): Promise<KernelPlan> {
  const { tftp } = system.boot;
  if (tftp.appendDTB) {
    if (!hasDtb)
      throw new Error(
        `tftpboot: boot.tftp.appendDTB needs the device's own device tree (hardware.dts.src), and ${system.device.name} has none`,
      );
    const option = {
      aarch64: null,
      armv7: "ARM_APPENDED_DTB",
      mipsel: "MIPS_RAW_APPENDED_DTB",
      mips: "MIPS_RAW_APPENDED_DTB",
    }[cpu];
    if (!option)
      throw new Error("tftpboot: boot.tftp.appendDTB: arm64 kernels do not read a device tree appended to them");
    if (parseConfig(await readFile(kernel.config, "utf8")).get(option) !== "y")
      throw new Error(`tftpboot: boot.tftp.appendDTB needs CONFIG_${option}=y in kernel.config`);
  }
  const mips = cpu === "mipsel" || cpu === "mips";
  const payload = mips ? kernel.targets["vmlinux.bin"] : kernel.image;
  if (!payload)
    throw new Error(
      `tftpboot: a MIPS kernel is loaded as its raw binary: add "vmlinux.bin" to kernel.makeTargets of ${system.device.name}`,
    );
  const size = (await stat(payload)).size;
  if (tftp.kernelFormat === "uimage") {
    const { loadAddress } = system.hardware;
    const entryPoint = mips ? await mipsEntry(system, kernel) : system.hardware.entryPoint;
    if (loadAddress === undefined || entryPoint === undefined)
      throw new Error(
        `tftpboot: a uImage kernel needs hardware.loadAddress and hardware.entryPoint, which ${system.device.name} does not set`,
      );
    return {
      payload,
      format: "uimage",
      boot: "bootm",
      footprint: uimageHeaderSize + size,
      copiedTo: loadAddress,
      entryPoint,
    };
  }
  if (mips)
    throw new Error(
      `tftpboot: MIPS kernels boot from U-Boot as a uImage: set boot.tftp.kernelFormat to "uimage" for ${system.device.name}`,
    );
  if (cpu === "armv7") return { payload, format: "raw", boot: "bootz", footprint: size };
  const header = Buffer.alloc(24);
  const f = await open(payload);
  await f.read(header, 0, 24, 0).finally(() => f.close());
  return { payload, format: "raw", boot: "booti", footprint: Math.max(size, Number(header.readBigUInt64LE(16))) };
}

/** Writes the kernel file of `plan` with the files in `parts` (the payload, and an appended tree). */
async function writeKernel(
  system: SystemDescription,
  cpu: Cpu,
  plan: KernelPlan,
  parts: string[],
  file: string,
): Promise<void> {
  if (plan.format === "raw") return writeFile(file, Buffer.concat(await Promise.all(parts.map((p) => readFile(p)))));
  await uimage({
    arch: ubootArch[cpu],
    compression: "none",
    loadAddress: plan.copiedTo!,
    entryPoint: plan.entryPoint!,
    name: `limen ${system.device.name}`.slice(0, 31),
    payload: parts,
    out: file,
  });
}

/** Writes the tftpboot output of `system` with root tree `root` into `out`. */
export async function tftpboot(
  system: SystemDescription,
  root: TreeEntry[],
  out: string,
  progress: (step: string) => void = () => {},
): Promise<void> {
  // checked before any work is done
  if (system.rootfsType !== "squashfs")
    throw new Error(`tftpboot: root filesystem type "${system.rootfsType}" is not supported yet (squashfs is)`);
  const { tftp } = system.boot;
  const missing = (["serverip", "ipaddr", "loadAddress"] as const).filter((k) => tftp[k] === undefined);
  if (missing.length > 0)
    throw new Error(
      `tftpboot: set ${missing.map((k) => `boot.tftp.${k}`).join(" and ")} (the TFTP server's address, the device's address and where in RAM U-Boot loads the kernel)`,
    );
  for (const k of ["serverip", "ipaddr"] as const) {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(tftp[k]!))
      throw new Error(`tftpboot: boot.tftp.${k} "${tftp[k]}" is not an IPv4 address`);
  }
  const commandLine = ramBootCommandLine(system);
  ensureCommands(["fdtput", "fdtget"]);
  if (!(cpus as readonly string[]).includes(system.device.cpu))
    throw new Error(`tftpboot: no kernel for CPU "${system.device.cpu}"`);
  const cpu = system.device.cpu as Cpu;

  const { dts } = system.hardware;
  const dtb = dts.src ? join(out, "dtb") : null;
  if (dtb) {
    progress("compiling the device tree");
    await copyFile(
      await compileDtb({ cpu, src: dts.src!, includes: dts.includes, includePaths: dts.includePaths }),
      dtb,
    );
  }
  progress(`building the kernel for ${cpu} (cached after the first build)`);
  const kernel = await kernelForSystem(system, progress);
  progress("making the root filesystem");
  const rootImage = join(out, "rootfs");
  // compressed as this kernel can read it: the kernel, not the host, mounts it
  const kconfig = parseConfig(await readFile(kernel.config, "utf8"));
  const missingOptions = ["MTD", "MTD_PHRAM", "MTD_BLOCK"].filter((o) => kconfig.get(o) !== "y");
  if (missingOptions.length > 0)
    throw new Error(
      `tftpboot: the kernel of ${system.device.name} mounts its root from RAM through phram and mtdblock: set ${missingOptions.map((o) => `${o}: "y"`).join(", ")} in kernel.config`,
    );
  const compression = kconfig.get("SQUASHFS_XZ") === "y" ? "xz" : kconfig.get("SQUASHFS_ZLIB") === "y" ? "gzip" : null;
  if (!compression)
    throw new Error(
      `tftpboot: the kernel of ${system.device.name} reads neither xz nor gzip squashfs: set SQUASHFS_XZ or SQUASHFS_ZLIB in kernel.config`,
    );
  await squashfs(root, rootImage, { compression, blockSize: 262144 });
  const compressed = tftp.compressRoot ? await lzmaAlone(rootImage) : null;

  const plan = await kernelPlan(system, cpu, kernel, dtb !== null);
  // an appended tree goes after the kernel and grows by the edits: room for it is kept
  const footprint = plan.footprint + (tftp.appendDTB ? dtbSpace : 0);
  const layout = ramLayout(
    tftp.loadAddress!,
    footprint,
    (await stat(rootImage)).size,
    tftp.freeSpaceBytes,
    compressed ? (await stat(compressed)).size : null,
  );
  if (plan.copiedTo !== undefined && plan.copiedTo < layout.end && plan.copiedTo + plan.footprint > layout.kernel) {
    throw new Error(
      `tftpboot: bootm copies the kernel to hardware.loadAddress ${hex(plan.copiedTo)}, onto what boot.scr loads at ${hex(layout.kernel)}-${hex(layout.end)}: move boot.tftp.loadAddress`,
    );
  }
  if (cpu !== "aarch64" && layout.end > 2 ** 32)
    throw new Error(
      `tftpboot: the images end at ${hex(layout.end)}, beyond the 32-bit address space: lower boot.tftp.loadAddress`,
    );
  const region = phramRegion(cpu, layout);

  const lines = [
    `setenv serverip ${tftp.serverip}`,
    `setenv ipaddr ${tftp.ipaddr}`,
    `tftpboot ${hex(layout.kernel)} kernel`,
  ];
  // lzmadec is given the region's size: without it, U-Boot 2023.01 does not finish on an image
  // whose header records its size (seen under QEMU)
  if (compressed)
    lines.push(
      `tftpboot ${hex(layout.compressedRoot!)} rootfs.lzma`,
      `lzmadec ${hex(layout.compressedRoot!)} ${hex(layout.root)} ${hex(layout.rootSize)}`,
    );
  else lines.push(`tftpboot ${hex(layout.root)} rootfs`);
  if (dtb) {
    // known at build time: the compiled tree is patched now, unless U-Boot never sees it (appended)
    const existing = await fdtget(dtb, "/reserved-memory", "#address-cells");
    const cells = Number((await fdtget(dtb, "/", "#address-cells")) ?? "1");
    if (cells !== 1 && cells !== 2)
      throw new Error(`tftpboot: the device tree's root #address-cells is ${cells}; 1 or 2 are handled`);
    if (existing !== null && Number(existing) !== cells)
      throw new Error(
        `tftpboot: the device tree's /reserved-memory has #address-cells ${existing}, its root ${cells}: make them agree`,
      );
    await applyEdits(dtb, ramBootEdits(region, cells, system.boot.commandLineDtbNode, commandLine, existing === null));
    if (tftp.appendDTB) lines.push(`${plan.boot} ${hex(layout.kernel)}`);
    else lines.push(`tftpboot ${hex(layout.dtb)} dtb`, `${plan.boot} ${hex(layout.kernel)} - ${hex(layout.dtb)}`);
  } else if (dts.builtIn) {
    // single quotes: U-Boot expands no $ inside them
    lines.push(
      `setenv bootargs '${[commandLine, ...phramArguments(region)].join(" ")}'`,
      `${plan.boot} ${hex(layout.kernel)}`,
    );
  } else {
    // the board's own tree (QEMU's), copied out of U-Boot's memory with room for the edits
    lines.push("fdt addr ${fdtcontroladdr}", `fdt move \${fdtcontroladdr} ${hex(layout.dtb)} ${hex(dtbSpace)}`);
    lines.push(...fdtCommands(ramBootEdits(region, wordCells(cpu), system.boot.commandLineDtbNode, commandLine, true)));
    // U-Boot would otherwise write its own bootargs variable over the tree's
    lines.push("setenv bootargs", `${plan.boot} ${hex(layout.kernel)} - ${hex(layout.dtb)}`);
  }
  // written once the tree is patched: an appended tree is the patched one
  const kernelOut = join(out, "kernel");
  await writeKernel(system, cpu, plan, tftp.appendDTB ? [plan.payload, dtb!] : [plan.payload], kernelOut);
  const written = (await stat(kernelOut)).size;
  if (written > footprint)
    throw new Error(
      `tftpboot: the kernel file is ${written} bytes, more than the ${footprint} bytes kept for it before the root image`,
    );
  await writeUbootScript(out, "boot", cpu, lines);
}
