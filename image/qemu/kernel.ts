// A Debian kernel package for an emulated device: the kernel image, and chosen modules with the
// modules they depend on, in load order (read from each module's .modinfo "depends=").
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { extractDeb, verifyDeb, type FetchedPackage } from "../lib/apt.ts";
import { pinnedBytes, pinnedPackage } from "../lib/pinned.ts";
import { run } from "../lib/run.ts";
import { cachedDir } from "../lib/cache.ts";
import { bookworm } from "../lib/debian.ts";
import type { Emulator } from "../config/module.ts";

export interface KernelModule {
  name: string;
  /** Host path of the .ko file. */
  path: string;
  /** Path relative to /lib/modules/<release>/. */
  relative: string;
}

export interface DebianKernel {
  /** The Debian package it comes from. */
  package: string;
  release: string;
  version: string;
  image: string;
  /** The requested modules and their dependencies, dependencies first. */
  modules: KernelModule[];
  /**
   * Module `name` and the modules it depends on, dependencies first: [] when it is built into the
   * kernel, null when the kernel has it neither way.
   */
  withDependencies(name: string): Promise<KernelModule[] | null>;
}

async function listModules(dir: string, prefix = ""): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of await listModules(dir, rel)) found.set(k, v);
    else if (e.name.endsWith(".ko")) found.set(e.name.slice(0, -3).replaceAll("-", "_"), rel);
  }
  return found;
}

function modinfoDepends(ko: Buffer): string[] {
  const at = ko.indexOf("\0depends=");
  if (at < 0) return [];
  const end = ko.indexOf(0, at + 1);
  const list = ko.subarray(at + 9, end).toString();
  return list ? list.split(",").map((m) => m.replaceAll("-", "_")) : [];
}

/** The emulator's kernel with its early modules and `extraModules` (e.g. the root filesystem's). */
export async function debianKernel(e: Emulator, extraModules: string[] = []): Promise<DebianKernel> {
  // the metapackage names the kernel package of its version: both are pinned, and the name is
  // read from the pinned metapackage's own control file, not from today's package lists
  const meta = await pinnedPackage(bookworm, `${e.kernelPackage}:${e.debianArch}`);
  const depends = await debDepends(meta);
  const kernelName = /^(linux-image-[^\s,(|]+)/.exec(depends)?.[1];
  if (!kernelName) throw new Error(`${meta.name} ${meta.version} names no kernel package (Depends: ${depends})`);
  const pkg = await pinnedPackage(bookworm, `${kernelName}:${e.debianArch}`);
  const root = await cachedDir("deb", `${pkg.name}_${pkg.sha256.slice(0, 24)}`, (out) =>
    extractDeb(pkg.path, out, pinnedBytes(pkg)),
  );
  const boot = await readdir(join(root, "boot"));
  const image = boot.find((f) => f.startsWith("vmlinuz-") || f.startsWith("vmlinux-"));
  if (!image) throw new Error(`${pkg.name} has no /boot/vmlinuz-*`);
  const release = image.replace(/^vmlinu[xz]-/, "");
  const modulesDir = join(root, "lib", "modules", release);
  const available = existsSync(modulesDir) ? await listModules(modulesDir) : new Map<string, string>();
  const builtin = await builtIn(root, release);

  const withDependencies = async (name: string): Promise<KernelModule[] | null> => {
    if (!available.has(name)) return builtin.has(name) ? [] : null;
    const ordered: KernelModule[] = [];
    const visiting = new Set<string>();
    const visit = async (m: string): Promise<void> => {
      const rel = available.get(m);
      // a dependency that is no module is built in: nothing to load
      if (!rel || visiting.has(m) || ordered.some((k) => k.name === m)) return;
      visiting.add(m);
      for (const dep of modinfoDepends(await readFile(join(modulesDir, rel)))) await visit(dep);
      ordered.push({ name: m, path: join(modulesDir, rel), relative: rel });
    };
    await visit(name);
    return ordered;
  };

  const modules: KernelModule[] = [];
  for (const m of [...e.kernelModules, ...extraModules]) {
    const found = await withDependencies(m);
    if (found === null) throw new Error(`kernel ${release} has no module ${m}`);
    modules.push(...found.filter((k) => !modules.some((have) => have.name === k.name)));
  }
  return {
    package: pkg.name,
    release,
    version: pkg.version,
    image: join(root, "boot", image),
    modules,
    withDependencies,
  };
}

/** A pinned .deb's Depends field, once its bytes are checked. */
async function debDepends(pkg: FetchedPackage): Promise<string> {
  await verifyDeb(pkg.path, pinnedBytes(pkg));
  return (await run(["dpkg-deb", "--field", pkg.path, "Depends"])).stdout.trim();
}

/** The modules built into the kernel (modules.builtin, shipped in the package), by name. */
async function builtIn(root: string, release: string): Promise<Set<string>> {
  const file = join(root, "lib", "modules", release, "modules.builtin");
  if (!existsSync(file)) return new Set();
  return new Set(
    (await readFile(file, "utf8"))
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.split("/").pop()!.replace(/\.ko$/, "").replaceAll("-", "_")),
  );
}
