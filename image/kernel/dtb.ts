// A device's device tree: its .dts (with the configuration's dtsi fragments after it) run through the
// C preprocessor against the kernel source's include folders, as kbuild does, then compiled by dtc.
// The preprocessed text holds every included file, so it (with dtc's version) is the cache key.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ensureCommands } from "../lib/host-programs.ts";
import type { Cpu } from "../config/module.ts";
import { cachedDir, hashOf } from "../lib/cache.ts";
import { CommandError, run } from "../lib/run.ts";
import { kernelArches } from "./arch.ts";
import { kernelSource } from "./source.ts";

export interface DeviceTreeRequest {
  cpu: Cpu;
  /** The board's .dts (hardware.dts.src). */
  src: string;
  /** dtsi fragments added after it (hardware.dts.includes), e.g. to patch the chosen node. */
  includes?: string[];
  /** Further folders searched by #include (hardware.dts.includePaths). */
  includePaths?: string[];
}

export const deviceTreeTools = ["cpp", "dtc"] as const;

// kbuild's own dtc warnings switched off for the kernel's dtsi files, which do not pass them either
const dtcFlags = [
  "-I",
  "dts",
  "-O",
  "dtb",
  "-b",
  "0",
  "-Wno-unit_address_vs_reg",
  "-Wno-interrupt_provider",
  "-Wno-avoid_unnecessary_addr_size",
  "-Wno-graph_child_address",
];

/** Compiles (or takes from the cache) the device tree blob of `req`; returns the .dtb path. */
export async function compileDtb(req: DeviceTreeRequest): Promise<string> {
  ensureCommands(deviceTreeTools);
  const files = [req.src, ...(req.includes ?? [])].map((f) => resolve(f));
  for (const f of files)
    if (!existsSync(f))
      throw new Error(`device tree: ${f} does not exist (hardware.dts.${f === files[0] ? "src" : "includes"})`);
  for (const d of req.includePaths ?? [])
    if (!existsSync(d)) throw new Error(`device tree: include folder ${d} does not exist (hardware.dts.includePaths)`);
  const source = await preprocess(req, files);
  const dtc = (await run(["dtc", "--version"])).stdout.trim();
  const key = hashOf("dtb", dtc, dtcFlags, source);
  const dir = await cachedDir("dtb", key, async (out) => {
    await writeFile(join(out, "board.dts"), source);
    try {
      await run(["dtc", ...dtcFlags, "-o", join(out, "board.dtb"), join(out, "board.dts")]);
    } catch (e) {
      throw e instanceof CommandError
        ? new Error(
            `device tree ${files[0]}: dtc rejected it (line numbers refer to the file named after each error):\n${e.output.trim()}`,
          )
        : e;
    }
  });
  return join(dir, "board.dtb");
}

/** The .dts with its fragments, preprocessed: kbuild's cpp flags and include folders, the board's folder first. */
async function preprocess(req: DeviceTreeRequest, files: string[]): Promise<string> {
  const src = await kernelSource();
  const arch = kernelArches[req.cpu].arch;
  const wrapper = files.map((f) => `#include "${f}"\n`).join("");
  const includeDirs = [
    dirname(files[0]),
    ...(req.includePaths ?? []).map((d) => resolve(d)),
    join(src.dir, "arch", arch, "boot/dts"),
    join(src.dir, "include"),
    join(src.dir, "scripts/dtc/include-prefixes"),
  ];
  const command = [
    "cpp",
    "-nostdinc",
    "-undef",
    "-D__DTS__",
    "-x",
    "assembler-with-cpp",
    ...includeDirs.flatMap((d) => ["-I", d]),
    "-o",
    "-",
    "-",
  ];
  try {
    const { stdout } = await run(command, { input: wrapper });
    return stdout;
  } catch (e) {
    throw e instanceof CommandError
      ? new Error(
          `device tree ${files[0]}: the preprocessor failed (include folders: ${includeDirs.join(", ")}):\n${e.output.trim()}`,
        )
      : e;
  }
}
