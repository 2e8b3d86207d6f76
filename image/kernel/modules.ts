// Kernel modules of a kernel built from source: the images of such kernels carry no .ko files,
// so every module a service declares must be built in. Which Kconfig symbol builds a module is
// read from the source's kbuild files (`obj-$(CONFIG_BRIDGE) += bridge.o`).
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SystemDescription } from "../config/compile.ts";
import type { KernelSource } from "./source.ts";

/** Folders with no kernel code in them. */
const skipped = new Set(["Documentation", "tools", "samples", "scripts", "usr", ".git"]);

async function kbuildFiles(dir: string, found: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!skipped.has(e.name)) await kbuildFiles(join(dir, e.name), found);
    } else if (e.name === "Makefile" || e.name === "Kbuild") found.push(join(dir, e.name));
  }
  return found;
}

/** Module name (as lsmod writes it) -> the symbols whose `obj-$(CONFIG_…)` lines build it, from kbuild text. */
export function kbuildModules(text: string, into = new Map<string, Set<string>>()): Map<string, Set<string>> {
  const joined = text.replace(/\\\n/g, " ");
  for (const [, symbol, objects] of joined.matchAll(/^[ \t]*obj-\$\(CONFIG_(\w+)\)[ \t]*[+:]?=(.*)$/gm)) {
    for (const [, name] of objects.matchAll(/(?:^|\s)(?:\S*\/)?([\w-]+)\.o(?=\s|$)/g)) {
      const module = name.replaceAll("-", "_");
      const symbols = into.get(module) ?? new Set<string>();
      symbols.add(symbol);
      into.set(module, symbols);
    }
  }
  return into;
}

const bySource = new Map<string, Promise<Map<string, Set<string>>>>();

/** Every module the source can build, with its symbols (read once a process). */
export function sourceModules(src: KernelSource): Promise<Map<string, Set<string>>> {
  let pending = bySource.get(src.dir);
  if (!pending) {
    pending = (async () => {
      const modules = new Map<string, Set<string>>();
      for (const f of await kbuildFiles(src.dir)) kbuildModules(await readFile(f, "utf8"), modules);
      return modules;
    })();
    bySource.set(src.dir, pending);
  }
  return pending;
}

/**
 * Checks that each module a service declares is built into the kernel (`final` is its .config):
 * one the source does not know, or whose symbol is not y, is an error naming service and module.
 */
export function checkBuiltIn(
  system: SystemDescription,
  modules: ReadonlyMap<string, ReadonlySet<string>>,
  final: ReadonlyMap<string, string>,
): void {
  for (const [name, service] of Object.entries(system.database.services)) {
    for (const m of service.kernelModules) {
      const where = `service ${name} (${system.services[name].origin}): kernel module ${m}`;
      const symbols = modules.get(m);
      if (!symbols) throw new Error(`${where} is built by no Kconfig symbol of the kernel source`);
      if ([...symbols].some((s) => final.get(s) === "y")) continue;
      const as = [...symbols].map((s) => `CONFIG_${s}=${final.get(s) ?? "(unset)"}`).join(", ");
      throw new Error(`${where} is not built into the kernel (${as}): set it to "y" in kernel.config`);
    }
  }
}
