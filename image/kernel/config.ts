// The kernel's .config for a device: a minimal base (tinyconfig or allnoconfig), the requested
// options merged on top with the kernel's merge_config.sh, olddefconfig to settle dependencies,
// then a check that Kconfig kept every requested value: a dropped option is an error, never a
// kernel that silently lacks a driver.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { KernelArch } from "./arch.ts";
import { configFragment, explain, mismatches, parseConfig } from "./kconfig.ts";
import { makeCommand } from "./make.ts";
import type { KernelSource } from "./source.ts";
import { run } from "../lib/run.ts";

export const configBases = ["tinyconfig", "allnoconfig"] as const;
export type ConfigBase = (typeof configBases)[number];

export class KernelConfigError extends Error {
  constructor(
    readonly problems: string[],
    readonly configFile: string,
  ) {
    super(
      `the kernel configuration does not honour ${problems.length} requested option${problems.length === 1 ? "" : "s"} ` +
        `(final configuration: ${configFile}):\n${problems.map((p) => `  ${p}`).join("\n")}`,
    );
  }
}

/**
 * Writes `<objDir>/.config` for `options` on `base` and returns its text.
 * Throws KernelConfigError naming each requested option Kconfig did not keep.
 */
export async function makeConfig(
  src: KernelSource,
  a: KernelArch,
  base: ConfigBase,
  options: Record<string, string>,
  objDir: string,
): Promise<string> {
  await mkdir(objDir, { recursive: true });
  const make = (target: string) => run(makeCommand(src, a, objDir, [target]), { env: makeEnv() });
  await make(base);
  const fragment = join(objDir, "requested.config");
  await writeFile(fragment, configFragment(options));
  // -m: merge only (the olddefconfig below resolves), -O: write the result into the build folder
  await run([join(src.dir, "scripts/kconfig/merge_config.sh"), "-m", "-O", objDir, join(objDir, ".config"), fragment], {
    cwd: objDir,
    env: makeEnv(),
  });
  await make("olddefconfig");
  const configFile = join(objDir, ".config");
  const text = await readFile(configFile, "utf8");
  const final = parseConfig(text);
  const wrong = mismatches(options, final);
  if (wrong.length > 0) throw new KernelConfigError(await explain(src.dir, a.arch, wrong, final), configFile);
  return text;
}

/** The environment of kernel make runs: the caller's, less anything that would change what make does. */
export function makeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C" };
  for (const k of [
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "ARCH",
    "CROSS_COMPILE",
    "O",
    "KBUILD_OUTPUT",
    "KCONFIG_CONFIG",
    "KCONFIG_ALLCONFIG",
    "LOCALVERSION",
    "INSTALL_MOD_PATH",
  ])
    delete env[k];
  // the same inputs make the same kernel: no build date, user or host in it; the time zone is fixed
  // because kbuild reads the date with `date` (its built-in initramfs's entries get that time)
  Object.assign(env, {
    KBUILD_BUILD_TIMESTAMP: "1970-01-01",
    KBUILD_BUILD_USER: "limen",
    KBUILD_BUILD_HOST: "limen",
    TZ: "UTC",
  });
  return env;
}
