// The image builder: a configuration and a device become the device's output in one folder.
// Steps are cached by their inputs; the result folder is written as image/lib/result.ts says.
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { compile, packageRequests, type SystemDescription } from "./config/compile.ts";
import { evaluate } from "./config/evaluate.ts";
import { loadConfig, loadDevice } from "./config/load.ts";
import type { AnyModule, UserConfig } from "./config/module.ts";
import type { PackageEntry } from "./config/options.ts";
import type { OutputName } from "./config/outputs.ts";
import type { Lock } from "./packages/collect.ts";
import { manifest, manifestText } from "./outputs/manifest.ts";
import { mtdimage } from "./outputs/mtdimage.ts";
import { systemConfiguration } from "./outputs/system-configuration.ts";
import { tftpboot } from "./outputs/tftpboot.ts";
import { ubimage } from "./outputs/ubimage.ts";
import { vmroot } from "./outputs/vmroot.ts";
import { rootTree } from "./rootfs/system.ts";
import { replaceable, replaceResult } from "./lib/result.ts";
import { build as buildRuntime } from "../runtime/build/main.ts";

/** Outputs for a bootloader: made from the root tree alone (the runtime is already in it). */
const flashOutputs = { mtdimage, tftpboot, ubimage, systemConfiguration };

export interface ImageRequest {
  device: string;
  config: string;
  /** Modules added to the configuration's imports (the lab's own shell: image/lab/shell.ts). */
  imports?: readonly AnyModule[];
  /**
   * Debian packages the root gets besides the system's, for a test (the lab's Wi-Fi station): no
   * part of the configuration nor of the system description, so never in what a user flashes.
   */
  testPackages?: readonly PackageEntry[];
  output?: OutputName | undefined;
  out: string;
  progress: (step: string) => void;
}

/** The lock file beside a configuration: exact package versions per Debian architecture. */
export function lockFileOf(config: string): string {
  return resolve(config).replace(/\.m?ts$/, "") + ".lock.json";
}

async function readLock(file: string): Promise<Record<string, Lock>> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(await readFile(file, "utf8")) as Record<string, Lock>;
  } catch (e) {
    throw new Error(
      `${file} is not a valid lock file (${(e as Error).message}): fix it or delete it to take the archive's current packages`,
      { cause: e },
    );
  }
}

export async function buildImage(
  r: ImageRequest,
): Promise<{ system: SystemDescription; output: OutputName; out: string }> {
  replaceable(r.out);
  r.progress(`evaluating ${r.config} for ${r.device}`);
  const system = compile(
    evaluate(withImports(await loadConfig(r.config), r.imports ?? []), await loadDevice(r.device)),
  );
  const output = r.output ?? system.hardware.defaultOutput;

  if (output === "manifest") {
    // the compiled description only: nothing is fetched or built. It holds every file's content
    // and every template's parameters, /etc/shadow's hashes and literal secrets among them: the
    // builder's alone to read, as the device keeps them.
    return {
      system,
      output,
      out: await replaceResult(r.out, (tmp) =>
        writeFile(join(tmp, "system.json"), JSON.stringify(system, null, 1) + "\n", { mode: 0o600 }),
      ),
    };
  }

  r.progress(`building the runtime for ${system.device.cpu}`);
  const [runtime] = await buildRuntime([system.device.cpu]);

  const asked = system.packages.map((p) =>
    p.files === "executables" ? p.package : `${p.package} (${p.files.length} of its files)`,
  );
  r.progress(`collecting Debian packages for ${system.device.debianArch}: busybox ${asked.join(" ")}`);
  const lockFile = lockFileOf(r.config);
  const locks = await readLock(lockFile);
  const { entries, lock } = await rootTree(
    withTestPackages(system, r.testPackages ?? []),
    runtime.path,
    locks[system.device.debianArch] ?? {},
    lockFile,
  );

  const out = await replaceResult(r.out, async (tmp) => {
    let shipped = entries;
    if (output === "vmroot") {
      r.progress("making the root filesystem, initramfs and run.sh");
      // the root gains the kernel modules the services need
      shipped = await vmroot(system, entries, runtime.path, tmp);
    } else {
      await flashOutputs[output](system, entries, tmp, r.progress);
    }
    await writeFile(join(tmp, "manifest"), manifestText(await manifest(shipped)));
  });
  // written whole and renamed: builds running at once never read a half-written lock
  const tmpLock = `${lockFile}.tmp-${process.pid}`;
  await writeFile(tmpLock, JSON.stringify({ ...locks, [system.device.debianArch]: sortKeys(lock) }, null, 1) + "\n");
  await rename(tmpLock, lockFile);
  return { system, output, out };
}

/** The system whose root also holds `extra`'s packages (merged with its own requests). */
function withTestPackages(system: SystemDescription, extra: readonly PackageEntry[]): SystemDescription {
  if (extra.length === 0) return system;
  const own = system.packages.map((p): PackageEntry =>
    p.files === "executables" ? p.package : { name: p.package, files: p.files },
  );
  return { ...system, packages: packageRequests([...own, ...extra]) };
}

/** `config` with `extra` modules after its own imports. */
function withImports(config: UserConfig, extra: readonly AnyModule[]): UserConfig {
  if (extra.length === 0) return config;
  return {
    ...config,
    body(env) {
      const b = config.body(env);
      return { ...b, imports: [...b.imports, ...extra] };
    },
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
