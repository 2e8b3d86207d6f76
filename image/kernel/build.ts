// A kernel for a device CPU from Debian's linux-source-6.1: the configuration (config.ts), then make
// with the device's cross compiler. Both steps are cached by their inputs: the source package,
// the compiler and the requested options (configuration), then the final .config (build).
import { existsSync } from "node:fs";
import { copyFile, cp, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { ensureCommands } from "../lib/host-programs.ts";
import type { Cpu } from "../config/module.ts";
import { cacheRoot, cachedDir, hashOf } from "../lib/cache.ts";
import { kernelArches, targetFile, type KernelArch } from "./arch.ts";
import { KernelConfigError, makeConfig, makeEnv, type ConfigBase } from "./config.ts";
import { configFragment, parseConfig } from "./kconfig.ts";
import { compilerId, makeCommand, runMake } from "./make.ts";
import { kernelSource, sourcePackage, type KernelSource } from "./source.ts";

export interface KernelRequest {
  cpu: Cpu;
  /** Kconfig options without CONFIG_ (the compiled system's kernel.config). */
  config: Record<string, string>;
  /** What the requested options go on top of; tinyconfig by default (smallest kernel). */
  base?: ConfigBase;
  /** Further make targets the device needs (dtbs, uImage, vmlinuz...), built with the image. */
  makeTargets?: string[];
  /** A cross compiler other than Debian's for this CPU, as a CROSS_COMPILE prefix. */
  crossCompile?: string;
  /** Progress lines for long steps. */
  progress?: (line: string) => void;
}

export interface Kernel {
  /** The cache folder holding everything below. */
  dir: string;
  /** The boot image of the CPU's default target (arm64 Image, arm zImage, mips vmlinux). */
  image: string;
  /** The ELF kernel, for packing (uImage, FIT) and for symbols. */
  vmlinux: string;
  /** The final .config. */
  config: string;
  systemMap: string;
  /** `uname -r` of this kernel. */
  release: string;
  /** INSTALL_MOD_PATH tree (lib/modules/<release>/...) or null when nothing is built as a module. */
  modules: string | null;
  /** Each requested make target's file (or folder, for dtbs). */
  targets: Record<string, string>;
  /** linux-source-6.1's Debian version. */
  sourceVersion: string;
}

const hostCommands = ["make", "gcc", "flex", "bison", "bc", "perl", "tar"];

/** Builds (or takes from the cache) the kernel for `req`. */
export async function buildKernel(req: KernelRequest): Promise<Kernel> {
  const say = req.progress ?? (() => {});
  const debianArch = kernelArches[req.cpu];
  const a: KernelArch = req.crossCompile ? { ...debianArch, crossCompile: req.crossCompile } : debianArch;
  ensureCommands(req.crossCompile ? hostCommands : [...hostCommands, `${a.crossCompile}gcc`]);
  const cc = await compilerId(a);
  say(`kernel: source ${sourcePackage}`);
  const src = await kernelSource();
  const base = req.base ?? "tinyconfig";
  const config = await finalConfig(src, a, cc, base, req.config, say);
  const targets = [...new Set([a.target, ...(req.makeTargets ?? [])])];
  const modular = [...parseConfig(config).values()].includes("m");
  const key = hashOf("kernel", src.packageVersion, src.sha256, a.arch, cc, config, targets);
  const dir = join(cacheRoot(), "kernel", key);
  say(`kernel: ${a.arch} build ${key}`);
  await cachedDir("kernel", key, (out) => make(src, a, config, targets, modular, out, say));
  const release = (await readFile(join(dir, "kernel.release"), "utf8")).trim();
  return {
    dir,
    image: join(dir, a.target),
    vmlinux: join(dir, "vmlinux"),
    config: join(dir, "config"),
    systemMap: join(dir, "System.map"),
    release,
    modules: modular ? join(dir, "modules") : null,
    targets: Object.fromEntries(targets.map((t) => [t, join(dir, t)])),
    sourceVersion: src.packageVersion,
  };
}

/** The final .config text for the request, from the cache when the same request was settled before. */
async function finalConfig(
  src: KernelSource,
  a: KernelArch,
  cc: string,
  base: ConfigBase,
  options: Record<string, string>,
  say: (l: string) => void,
): Promise<string> {
  const key = hashOf("kernel-config", src.packageVersion, src.sha256, a.arch, cc, base, configFragment(options));
  const dir = await cachedDir("kernel-config", key, async (out) => {
    say(`kernel: configuring (${base} + ${Object.keys(options).length} requested options)`);
    const obj = join(out, "obj");
    try {
      await writeFile(join(out, "config"), await makeConfig(src, a, base, options, obj));
    } catch (e) {
      if (!(e instanceof KernelConfigError)) throw e;
      // keep the rejected configuration for a look, outside the cache entry that is not made
      const kept = join(cacheRoot(), "kernel-config", `${key}.rejected.config`);
      await copyFile(e.configFile, kept);
      throw new KernelConfigError(e.problems, kept);
    }
    await rm(obj, { recursive: true, force: true });
  });
  return readFile(join(dir, "config"), "utf8");
}

/** Runs the build in `out/obj`, keeps the outputs in `out` and drops the objects. */
async function make(
  src: KernelSource,
  a: KernelArch,
  config: string,
  targets: string[],
  modular: boolean,
  out: string,
  say: (l: string) => void,
): Promise<void> {
  const obj = join(out, "obj");
  await mkdir(obj, { recursive: true });
  await writeFile(join(obj, ".config"), config);
  const started = Date.now();
  await runMake(
    makeCommand(src, a, obj, [...targets, ...(modular ? ["modules"] : [])], {
      jobs: availableParallelism(),
      verbose: true,
    }),
    makeEnv(),
    (compiled) => {
      say(`kernel: ${compiled} files compiled (${Math.round((Date.now() - started) / 1000)} s)`);
    },
  );
  if (modular) {
    await runMake(
      makeCommand(src, a, obj, ["modules_install", `INSTALL_MOD_PATH=${join(out, "modules")}`, "INSTALL_MOD_STRIP=1"]),
      makeEnv(),
    );
    // the links back into the build folder would dangle once it is gone
    for (const release of await readdir(join(out, "modules/lib/modules"))) {
      for (const link of ["build", "source"])
        await rm(join(out, "modules/lib/modules", release, link), { force: true });
    }
  }
  if ((await readFile(join(obj, ".config"), "utf8")) !== config)
    throw new Error(
      "make changed the kernel configuration during the build (a bug: the configuration step should have settled it)",
    );
  await copyFile(join(obj, ".config"), join(out, "config"));
  for (const f of ["vmlinux", "System.map", "include/config/kernel.release"])
    await copyFile(join(obj, f), join(out, f.split("/").pop()!));
  for (const t of targets) {
    if (t === "vmlinux") continue;
    const file = targetFile(a, t);
    if (!existsSync(join(obj, file)))
      throw new Error(`make ${t} (ARCH=${a.arch}) succeeded but left no ${file}: which file does this target make?`);
    await cp(join(obj, file), join(out, t), { recursive: true });
  }
  await rm(obj, { recursive: true, force: true });
}
