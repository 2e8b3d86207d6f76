// `npm run build`: bundles the device program and builds the limen executable for every CPU
// into dist/limen-<cpu>. Every step is cached by its inputs (image/lib/cache.ts).
import { copyFile, mkdir, rename, stat, writeFile } from "node:fs/promises";
import { readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import type { OutputOptions, RollupOptions } from "rollup";
import { z } from "zod";
import { cachedDir, hashFiles, hashOf, projectRoot } from "../../image/lib/cache.ts";
import { bearsslInclude, bearsslLibrary, linkedBytes } from "./bearssl.ts";
import { bytecodeFor } from "./bytecode.ts";
import { engineObjects, engineSource } from "./engine.ts";
import { ensureHostPrograms } from "../../image/lib/host-programs.ts";
import { targets, type Target } from "./targets.ts";
import { compile, linkStatic, toolchain } from "./toolchain.ts";

const cpuNames = targets.map((t) => t.cpu);
const Args = z.object({
  cpu: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(",") : cpuNames))
    .pipe(
      z.array(z.enum(cpuNames as [Target["cpu"], ...Target["cpu"][]]), {
        error: (i) => `--cpu: ${i.message}; expected a comma-separated list of ${cpuNames.join(", ")}`,
      }),
    ),
  quiet: z.boolean().default(false),
  tests: z.boolean().default(false),
});

export const distDir = join(projectRoot, "dist");
export const testProgramDir = join(projectRoot, "build", "test");
const nativeDir = join(projectRoot, "runtime", "native");
/** The runner and the C files of limen:native. */
const nativeFiles = ["runner.c", "native.c", "process.c", "filesystem.c", "events.c", "crypto.c", "tcp.c", "tls.c"];

export interface BuiltBinary {
  cpu: Target["cpu"];
  path: string;
  size: number;
  bytecode: number;
  /** Bytes of the executable that come from BearSSL. */
  bearssl: number;
}

type BundleConfig = RollupOptions & { output: OutputOptions & { dir: string } };
interface RollupConfigModule {
  deviceBundle(entry: string, dir: string, tsconfig: string): BundleConfig;
}

/** A device program to bundle and link: the product, or the engine test program. */
interface Program {
  entry: string;
  tsconfig: string;
  /** Folders whose files are the program's sources (besides the bundler's own configuration). */
  sources: string[];
  output: (t: Target) => string;
  /** C files of its own, besides the runner and limen:native, and the define that has the runner load them. */
  ownNatives?: { files: string[]; define: string };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/**
 * The program's chunks in a folder keyed by its sources: unchanged sources skip the bundler and
 * its type check (seconds), and builds running at once never see each other's half-written files.
 */
async function bundle(p: Program): Promise<string> {
  const inputs = [
    ...p.sources.flatMap((d) => filesUnder(join(projectRoot, d))),
    ...["rollup.config.mjs", "package.json"].map((f) => join(projectRoot, f)),
  ];
  return cachedDir(
    "bundle",
    await hashFiles(
      inputs.map((f) => relative(projectRoot, f)),
      projectRoot,
    ),
    async (dir) => {
      const [{ rollup }, config] = await Promise.all([
        import("rollup"),
        import(join(projectRoot, "rollup.config.mjs")) as Promise<RollupConfigModule>,
      ]);
      const options = config.deviceBundle(p.entry, dir, p.tsconfig);
      const b = await rollup(options);
      try {
        await b.write(options.output);
      } finally {
        await b.close();
      }
    },
  );
}

async function buildTarget(t: Target, p: Program, bundleDir: string): Promise<BuiltBinary> {
  const path = p.output(t);
  const [{ dir: engineDir }, tc, bearssl] = await Promise.all([engineSource(), toolchain(t), bearsslInclude()]);
  const ours = ["-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror", `-DLIMEN_CPU="${t.cpu}"`];
  const cFiles = [
    ...nativeFiles.map((f) => ({
      file: join(nativeDir, f),
      flags: f === "runner.c" && p.ownNatives ? [...ours, p.ownNatives.define] : ours,
    })),
    ...(p.ownNatives?.files ?? []).map((f) => ({ file: join(projectRoot, f), flags: ours })),
  ];
  const [engine, natives, bytecode, tls] = await Promise.all([
    engineObjects(t),
    Promise.all(cFiles.map((s) => compile(tc, s.file, [nativeDir, engineDir, bearssl], s.flags))),
    bytecodeFor(t, bundleDir),
    bearsslLibrary(t),
  ]);
  const modules = await compile(tc, bytecode.source, [nativeDir, engineDir], []);
  const objects = [...natives, modules, ...engine];
  // the key names what the folder holds: the executable and its linker map
  const linked = await cachedDir(`bin/${t.cpu}`, hashOf(objects, tls, ["limen", "limen.map"]), (dir) =>
    linkStatic(tc, objects, join(dir, "limen"), [tls]),
  );
  const tmp = `${path}.tmp-${process.pid}`;
  await copyFile(join(linked, "limen"), tmp);
  await rename(tmp, path);
  return {
    cpu: t.cpu,
    path,
    size: (await stat(path)).size,
    bytecode: bytecode.size,
    bearssl: await linkedBytes(join(linked, "limen.map"), tls),
  };
}

async function buildProgram(program: Program, cpus: Target["cpu"][]): Promise<BuiltBinary[]> {
  const bundleDir = await bundle(program);
  const chosen = targets.filter((t) => cpus.includes(t.cpu));
  await Promise.all(chosen.map((t) => mkdir(dirname(program.output(t)), { recursive: true })));
  return Promise.all(chosen.map((t) => buildTarget(t, program, bundleDir)));
}

const product: Program = {
  entry: "runtime/src/main.ts",
  tsconfig: "runtime/src/tsconfig.json",
  sources: ["runtime/src", "init"],
  output: (t) => join(distDir, `limen-${t.cpu}`),
};
const engineTests: Program = {
  entry: "test/engine/main.ts",
  tsconfig: "test/engine/tsconfig.json",
  sources: ["runtime/src", "init", "test/engine"],
  output: (t) => join(testProgramDir, `limen-test-${t.cpu}`),
  ownNatives: { files: ["test/engine/limits.c"], define: "-DLIMEN_TEST_PROGRAM" },
};

/** Builds dist/limen-<cpu> for the given CPUs and, with `tests`, the engine test programs too. */
export async function build(cpus: Target["cpu"][], tests = false): Promise<BuiltBinary[]> {
  ensureHostPrograms("build");
  const [built] = await Promise.all([buildProgram(product, cpus), tests ? buildProgram(engineTests, cpus) : []]);
  const engine = await engineSource();
  await writeFile(
    join(distDir, "build-info.json"),
    JSON.stringify(
      {
        engine: `qjs-src ${engine.packageVersion}`,
        binaries: built.map(({ path, ...b }) => ({ ...b, file: path.split("/").pop() })),
      },
      null,
      2,
    ) + "\n",
  );
  return built;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { cpu: { type: "string" }, quiet: { type: "boolean" }, tests: { type: "boolean" } },
  });
  const parsed = Args.safeParse(values);
  if (!parsed.success) {
    console.error(`build: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
    process.exit(2);
  }
  const started = Date.now();
  try {
    const built = await build(parsed.data.cpu, parsed.data.tests);
    if (!parsed.data.quiet) {
      for (const b of built)
        console.log(
          `${b.path.replace(projectRoot + "/", "").padEnd(20)} ${(b.size / 1024).toFixed(0).padStart(5)} KiB (bytecode ${(b.bytecode / 1024).toFixed(1)} KiB, BearSSL ${(b.bearssl / 1024).toFixed(1)} KiB)`,
        );
      console.log(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } catch (e) {
    console.error(`build failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
