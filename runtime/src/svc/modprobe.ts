// Loading the kernel modules a service needs, before it starts, from the files the image's table
// names (kernel-modules.ts). Loading one that is loaded already is no error.
import * as std from "qjs:std";
import { loadModule } from "limen:native";
import { checkModuleTable, type ModuleTable } from "./kernel-modules";
import { paths } from "./paths";

/** The table, read once a process; null when the image has none (a kernel built from source). */
let table: ModuleTable | null | undefined;

function moduleTable(): ModuleTable | null {
  if (table === undefined) {
    const text = std.loadFile(paths.kernelModules);
    if (text === null) table = null;
    else {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        throw new Error(`kernel module table ${paths.kernelModules}: not valid JSON`);
      }
      table = checkModuleTable(raw, paths.kernelModules);
    }
  }
  return table;
}

/** Loads `modules` with what they depend on, in order; returns null when done, else why not (naming the module). */
export function loadKernelModules(modules: string[]): string | null {
  if (modules.length === 0) return null;
  let t: ModuleTable | null;
  try {
    t = moduleTable();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  // without a table the kernel was built with what the services need
  if (t === null) return null;
  for (const m of modules) {
    if (!Object.hasOwn(t.modules, m)) return `kernel module ${m}: not in ${paths.kernelModules}`;
    const files = t.modules[m];
    try {
      // the module's own file is the last: only it takes the module's parameters
      for (const [i, file] of files.entries())
        loadModule(`${paths.root}${file}`, i === files.length - 1 ? t.parameters?.[m] : undefined);
    } catch (e) {
      return `kernel module ${m}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return null;
}
