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
import type { Cpu } from "../config/module.ts";
import { compileDtb, kernelForSystem, type Kernel } from "../kernel/index.ts";
import { parseConfig } from "../kernel/kconfig.ts";
import { kernelEntry, readSystemMap } from "../kernel/symbols.ts";
import { lzmaAlone, uimage, uimageHeaderSize } from "../kernel/uimage.ts";
import { run } from "../lib/run.ts";
import { squashfs } from "../rootfs/squashfs.ts";
import type { TreeEntry } from "../rootfs/tree.ts";
import { ubootArch, writeUbootScript } from "./uboot-script.ts";
import { alignUp, hex, hexDigits } from "../lib/numbers.ts";

const MiB = 0x100000;

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

/**
 * Kernel arguments that reserve the region and make it the MTD device "rootfs", for a kernel that ignores the boot
 * loader's tree.
 */
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
  const node = `/reserved-memory/phram-rootfs@${hexDigits(region.start)}`;
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
    if ("cells" in v) return `${head} <${v.cells.map((n) => hex(n)).join(" ")}>`;
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
  return [...system.boot.commandLine, "root=/dev/mtdblock0", `rootfstype=${system.rootfsType}`, "ro", "rootwait"].join(
    " ",
  );
}

/** Problems, all of them: one error names every one. */
class Problems {
  readonly #list: string[] = [];
  constructor(private readonly device: string) {}
  add(problem: string): void {
    this.#list.push(problem);
  }
  check(): void {
    if (this.#list.length > 0)
      throw new Error(`tftpboot for ${this.device}:\n${this.#list.map((p) => `  ${p}`).join("\n")}`);
  }
}

const isMips = (cpu: Cpu) => cpu === "mipsel" || cpu === "mips";

/** What the output needs of the options, checked before any work is done. */
export interface TftpbootFacts {
  cpu: Cpu;
  serverip: string;
  ipaddr: string;
  /** Where in RAM boot.scr loads the kernel. */
  loadAddress: number;
  commandLine: string;
  /**
   * The kernel is a uImage that bootm copies to `copiedTo` (hardware.loadAddress) and enters at the declared entry
   * point (hardware.entryPoint; a MIPS kernel's is checked against its System.map).
   */
  uimage: { copiedTo: number; entryPoint: number | undefined } | null;
  /** The kernel option that reads an appended tree (boot.tftp.appendDTB), or null when none is appended. */
  appendedDtbOption: string | null;
}

/** Checks and reads the options tftpboot needs, naming every one that is missing or wrong. */
export function tftpbootFacts(system: SystemDescription): TftpbootFacts {
  const problems = new Problems(system.device.name);
  const { tftp } = system.boot;
  const { hardware } = system;
  const cpu = system.device.cpu;
  if (system.rootfsType !== "squashfs")
    problems.add(`root filesystem type "${system.rootfsType}" is not supported yet (squashfs is)`);
  const missing = (["serverip", "ipaddr", "loadAddress"] as const).filter((k) => tftp[k] === undefined);
  if (missing.length > 0)
    problems.add(
      `set ${missing.map((k) => `boot.tftp.${k}`).join(" and ")} (the TFTP server's address, the device's address and where in RAM U-Boot loads the kernel)`,
    );
  for (const k of ["serverip", "ipaddr"] as const) {
    const v = tftp[k];
    if (v !== undefined && !/^\d{1,3}(\.\d{1,3}){3}$/.test(v))
      problems.add(`boot.tftp.${k} "${v}" is not an IPv4 address`);
  }
  const commandLine = ramBootCommandLine(system);
  const bad = /["'\\$]/.exec(commandLine);
  if (bad)
    problems.add(`boot.commandLine holds ${bad[0]}, which boot.scr cannot pass inside a U-Boot string: ${commandLine}`);
  let appendedDtbOption: string | null = null;
  if (tftp.appendDTB) {
    if (!hardware.dts.src)
      problems.add(
        `boot.tftp.appendDTB needs the device's own device tree (hardware.dts.src), and ${system.device.name} has none`,
      );
    appendedDtbOption = {
      aarch64: null,
      armv7: "ARM_APPENDED_DTB",
      mipsel: "MIPS_RAW_APPENDED_DTB",
      mips: "MIPS_RAW_APPENDED_DTB",
    }[cpu];
    if (!appendedDtbOption)
      problems.add("boot.tftp.appendDTB: arm64 kernels do not read a device tree appended to them");
  }
  const mips = isMips(cpu);
  if (mips && !system.kernel.makeTargets.includes("vmlinux.bin"))
    problems.add(`a MIPS kernel is loaded as its raw binary: add "vmlinux.bin" to kernel.makeTargets`);
  let uimage: TftpbootFacts["uimage"] = null;
  if (tftp.kernelFormat === "uimage") {
    const { loadAddress, entryPoint } = hardware;
    if (loadAddress === undefined || (!mips && entryPoint === undefined))
      problems.add(
        `a uImage kernel needs hardware.loadAddress and hardware.entryPoint, which ${system.device.name} does not set`,
      );
    else uimage = { copiedTo: loadAddress, entryPoint };
  } else if (mips) {
    problems.add(`MIPS kernels boot from U-Boot as a uImage: set boot.tftp.kernelFormat to "uimage"`);
  }
  problems.check();
  return {
    cpu,
    serverip: tftp.serverip!,
    ipaddr: tftp.ipaddr!,
    loadAddress: tftp.loadAddress!,
    commandLine,
    uimage,
    appendedDtbOption: tftp.appendDTB ? appendedDtbOption : null,
  };
}

/** What the built kernel is: how boot.scr starts it and how the root image is compressed for it. */
export interface KernelPlan {
  /** The kernel binary: arm64 Image, arm zImage, MIPS vmlinux.bin. */
  payload: string;
  format: "uimage" | "raw";
  boot: "booti" | "bootz" | "bootm";
  /** RAM the kernel file takes where boot.scr loads it (arm64: the Image header's image_size, bss included). */
  footprint: number;
  /** Where bootm copies a uImage's kernel before it starts it, and enters it. */
  copiedTo?: number;
  entryPoint?: number;
  /** The squashfs compression the kernel reads. */
  compression: "xz" | "gzip";
}

/** Reads the built kernel (its .config, its size, a MIPS kernel's entry), naming every problem with it. */
export async function kernelPlan(system: SystemDescription, facts: TftpbootFacts, kernel: Kernel): Promise<KernelPlan> {
  const problems = new Problems(system.device.name);
  const kconfig = parseConfig(await readFile(kernel.config, "utf8"));
  const missingOptions = ["MTD", "MTD_PHRAM", "MTD_BLOCK"].filter((o) => kconfig.get(o) !== "y");
  if (missingOptions.length > 0)
    problems.add(
      `the kernel mounts its root from RAM through phram and mtdblock: set ${missingOptions.map((o) => `${o}: "y"`).join(", ")} in kernel.config`,
    );
  // compressed as this kernel can read it: the kernel, not the host, mounts it
  const compression: KernelPlan["compression"] | null =
    kconfig.get("SQUASHFS_XZ") === "y" ? "xz" : kconfig.get("SQUASHFS_ZLIB") === "y" ? "gzip" : null;
  if (!compression)
    problems.add("the kernel reads neither xz nor gzip squashfs: set SQUASHFS_XZ or SQUASHFS_ZLIB in kernel.config");
  if (facts.appendedDtbOption && kconfig.get(facts.appendedDtbOption) !== "y")
    problems.add(`boot.tftp.appendDTB needs CONFIG_${facts.appendedDtbOption}=y in kernel.config`);
  const mips = isMips(facts.cpu);
  const payload = mips ? kernel.targets["vmlinux.bin"] : kernel.image;
  if (!payload) problems.add(`the kernel build made no vmlinux.bin`);
  let entryPoint = facts.uimage?.entryPoint;
  if (facts.uimage && mips) {
    try {
      entryPoint = kernelEntry(await readSystemMap(kernel.systemMap), entryPoint);
    } catch (e) {
      problems.add((e as Error).message);
    }
  }
  problems.check();
  const size = (await stat(payload)).size;
  const common = { payload, compression: compression! };
  if (facts.uimage)
    return {
      ...common,
      format: "uimage",
      boot: "bootm",
      footprint: uimageHeaderSize + size,
      copiedTo: facts.uimage.copiedTo,
      entryPoint: entryPoint!,
    };
  if (facts.cpu === "armv7") return { ...common, format: "raw", boot: "bootz", footprint: size };
  const header = Buffer.alloc(24);
  const f = await open(payload);
  await f.read(header, 0, 24, 0).finally(() => f.close());
  return { ...common, format: "raw", boot: "booti", footprint: Math.max(size, Number(header.readBigUInt64LE(16))) };
}

/**
 * The device tree boot.scr boots with: one compiled here (with its root's and /reserved-memory's #address-cells), the
 * kernel's own, or the board's.
 */
export type TreeSource =
  | { kind: "compiled"; addressCells: number; reservedMemoryCells: number | null }
  | { kind: "builtIn" }
  | { kind: "board" };

export interface BootPlan {
  layout: RamLayout;
  /** RAM kept for the kernel file (an appended tree included). */
  footprint: number;
  /** boot.scr's commands. */
  lines: string[];
  /** Edits to make to the compiled tree before it is written (or appended). */
  dtbEdits: DtEdit[] | null;
}

/** Where everything goes in RAM and what boot.scr says, from the sizes of what was built; every problem named. */
export function bootPlan(
  system: SystemDescription,
  facts: TftpbootFacts,
  kernel: KernelPlan,
  tree: TreeSource,
  rootImageSize: number,
  compressedRootSize: number | null,
): BootPlan {
  const problems = new Problems(system.device.name);
  const { tftp } = system.boot;
  // an appended tree goes after the kernel and grows by the edits: room for it is kept
  const footprint = kernel.footprint + (facts.appendedDtbOption ? dtbSpace : 0);
  const layout = ramLayout(facts.loadAddress, footprint, rootImageSize, tftp.freeSpaceBytes, compressedRootSize);
  const { copiedTo } = kernel;
  if (copiedTo !== undefined && copiedTo < layout.end && copiedTo + kernel.footprint > layout.kernel)
    problems.add(
      `bootm copies the kernel to hardware.loadAddress ${hex(copiedTo)}, onto what boot.scr loads at ${hex(layout.kernel)}-${hex(layout.end)}: move boot.tftp.loadAddress`,
    );
  if (facts.cpu !== "aarch64" && layout.end > 2 ** 32)
    problems.add(`the images end at ${hex(layout.end)}, beyond the 32-bit address space: lower boot.tftp.loadAddress`);
  const region = phramRegion(facts.cpu, layout);
  const node = system.boot.commandLineDtbNode;
  const lines = [
    `setenv serverip ${facts.serverip}`,
    `setenv ipaddr ${facts.ipaddr}`,
    `tftpboot ${hex(layout.kernel)} kernel`,
  ];
  // lzmadec is given the region's size: without it, U-Boot 2023.01 does not finish on an image
  // whose header records its size (seen under QEMU)
  if (layout.compressedRoot !== null)
    lines.push(
      `tftpboot ${hex(layout.compressedRoot)} rootfs.lzma`,
      `lzmadec ${hex(layout.compressedRoot)} ${hex(layout.root)} ${hex(layout.rootSize)}`,
    );
  else lines.push(`tftpboot ${hex(layout.root)} rootfs`);
  let dtbEdits: DtEdit[] | null = null;
  if (tree.kind === "compiled") {
    // known at build time: the compiled tree is patched now, unless U-Boot never sees it (appended)
    const cells = tree.addressCells;
    if (cells !== 1 && cells !== 2)
      problems.add(`the device tree's root #address-cells is ${cells}; 1 or 2 are handled`);
    else if (tree.reservedMemoryCells !== null && tree.reservedMemoryCells !== cells)
      problems.add(
        `the device tree's /reserved-memory has #address-cells ${tree.reservedMemoryCells}, its root ${cells}: make them agree`,
      );
    else dtbEdits = ramBootEdits(region, cells, node, facts.commandLine, tree.reservedMemoryCells === null);
    if (facts.appendedDtbOption) lines.push(`${kernel.boot} ${hex(layout.kernel)}`);
    else lines.push(`tftpboot ${hex(layout.dtb)} dtb`, `${kernel.boot} ${hex(layout.kernel)} - ${hex(layout.dtb)}`);
  } else if (tree.kind === "builtIn") {
    // single quotes: U-Boot expands no $ inside them
    lines.push(
      `setenv bootargs '${[facts.commandLine, ...phramArguments(region)].join(" ")}'`,
      `${kernel.boot} ${hex(layout.kernel)}`,
    );
  } else {
    // the board's own tree (QEMU's), copied out of U-Boot's memory with room for the edits
    lines.push("fdt addr ${fdtcontroladdr}", `fdt move \${fdtcontroladdr} ${hex(layout.dtb)} ${hex(dtbSpace)}`);
    lines.push(...fdtCommands(ramBootEdits(region, wordCells(facts.cpu), node, facts.commandLine, true)));
    // U-Boot would otherwise write its own bootargs variable over the tree's
    lines.push("setenv bootargs", `${kernel.boot} ${hex(layout.kernel)} - ${hex(layout.dtb)}`);
  }
  problems.check();
  return { layout, footprint, lines, dtbEdits };
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

/**
 * Writes the tftpboot output of `system` with root tree `root` into `out`: facts, then the kernel and its plan, then
 * the boot plan, then the files.
 */
export async function tftpboot(
  system: SystemDescription,
  root: TreeEntry[],
  out: string,
  progress: (step: string) => void = () => {},
): Promise<void> {
  const facts = tftpbootFacts(system);
  ensureCommands(["fdtput", "fdtget"]);
  const { cpu } = facts;
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
  const kernel = await kernelPlan(system, facts, await kernelForSystem(system, progress));
  progress("making the root filesystem");
  const rootImage = join(out, "rootfs");
  await squashfs(root, rootImage, { compression: kernel.compression, blockSize: 262144 });
  const compressed = system.boot.tftp.compressRoot ? await lzmaAlone(rootImage) : null;
  const tree: TreeSource = dtb
    ? {
        kind: "compiled",
        addressCells: Number((await fdtget(dtb, "/", "#address-cells")) ?? "1"),
        reservedMemoryCells: await fdtget(dtb, "/reserved-memory", "#address-cells").then((c) =>
          c === null ? null : Number(c),
        ),
      }
    : { kind: dts.builtIn ? "builtIn" : "board" };
  const plan = bootPlan(
    system,
    facts,
    kernel,
    tree,
    (await stat(rootImage)).size,
    compressed ? (await stat(compressed)).size : null,
  );
  if (dtb && plan.dtbEdits) await applyEdits(dtb, plan.dtbEdits);
  // written once the tree is patched: an appended tree is the patched one
  const kernelOut = join(out, "kernel");
  await writeKernel(
    system,
    cpu,
    kernel,
    facts.appendedDtbOption ? [kernel.payload, dtb!] : [kernel.payload],
    kernelOut,
  );
  const written = (await stat(kernelOut)).size;
  if (written > plan.footprint)
    throw new Error(
      `tftpboot for ${system.device.name}: the kernel file is ${written} bytes, more than the ${plan.footprint} bytes kept for it before the root image`,
    );
  await writeUbootScript(out, "boot", cpu, plan.lines);
}
