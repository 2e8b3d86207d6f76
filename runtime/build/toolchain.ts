// Compiling and linking static musl executables with Debian's (glibc-targeting) cross gcc.
import { readdir, readFile } from "node:fs/promises";
import { cpus } from "node:os";
import { basename, join } from "node:path";
import { cachedDir, hashOf } from "../../image/lib/cache.ts";
import { limiter, run } from "../../image/lib/run.ts";
import { sysroot, type Sysroot } from "./sysroot.ts";
import type { Target } from "./targets.ts";

const gate = limiter(cpus().length);

export interface Toolchain {
  target: Target;
  cc: string;
  strip: string;
  ar: string;
  sysroot: Sysroot;
  /** Identifies the compiler exactly, for cache keys. */
  id: string;
  gccFile(name: string): Promise<string>;
}

const toolchains = new Map<string, Promise<Toolchain>>();

export function toolchain(t: Target): Promise<Toolchain> {
  let tc = toolchains.get(t.cpu);
  if (!tc) {
    tc = (async () => {
      const cc = t.cpu === "x86_64" ? "gcc" : `${t.gnu}-gcc`;
      const [version, machine, sys] = await Promise.all([
        run([cc, "-dumpfullversion"]),
        run([cc, "-dumpmachine"]),
        sysroot(t),
      ]);
      const fileCache = new Map<string, Promise<string>>();
      return {
        target: t,
        cc,
        strip: t.cpu === "x86_64" ? "strip" : `${t.gnu}-strip`,
        ar: t.cpu === "x86_64" ? "ar" : `${t.gnu}-ar`,
        sysroot: sys,
        id: `${cc} ${version.stdout.trim()} ${machine.stdout.trim()} ${sys.lib}`,
        gccFile(name: string) {
          let f = fileCache.get(name);
          if (!f) {
            f = run([cc, `-print-file-name=${name}`]).then((r) => r.stdout.trim());
            fileCache.set(name, f);
          }
          return f;
        },
      };
    })();
    toolchains.set(t.cpu, tc);
  }
  return tc;
}

/** Size-first code generation for every C file, ours and the engine's. */
const commonFlags = [
  "-std=gnu11",
  "-D_GNU_SOURCE",
  "-DNDEBUG",
  "-Os",
  "-ffunction-sections",
  "-fdata-sections",
  "-funsigned-char",
  "-fwrapv",
  "-fno-asynchronous-unwind-tables",
  "-fno-unwind-tables",
  "-fno-stack-protector",
];

const headerHashes = new Map<string, Promise<string>>();
async function headersOf(dir: string): Promise<string> {
  let h = headerHashes.get(dir);
  if (!h) {
    h = (async () => {
      const names = (await readdir(dir)).filter((f) => f.endsWith(".h")).sort();
      return hashOf(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n))])));
    })();
    headerHashes.set(dir, h);
  }
  return h;
}

/** Compiles one C file to an object, cached by the file, the headers it can see, the flags and the compiler. */
export async function compile(tc: Toolchain, source: string, includeDirs: string[], flags: string[]): Promise<string> {
  const gccInclude = await tc.gccFile("include");
  const args = [
    ...commonFlags,
    ...tc.target.cflags,
    ...flags,
    "-nostdinc",
    "-isystem",
    tc.sysroot.include,
    "-isystem",
    tc.sysroot.kinclude,
    "-isystem",
    gccInclude,
    ...includeDirs.flatMap((d) => ["-I", d]),
  ];
  const key = hashOf(tc.id, args, await readFile(source), await Promise.all(includeDirs.map(headersOf)));
  const obj = basename(source).replace(/\.c$/, ".o");
  const dir = await cachedDir(`obj/${tc.target.cpu}`, `${obj}-${key}`, (out) =>
    gate(() => run([tc.cc, ...args, "-c", source, "-o", join(out, obj)])).then(() => undefined),
  );
  return join(dir, obj);
}

/** A static library of objects; a link takes from it only the members something refers to. */
export async function archive(tc: Toolchain, objects: string[], output: string): Promise<void> {
  await run([tc.ar, "rcsD", output, ...objects]);
}

/**
 * Links a static executable and strips it; `libraries` are archives searched after the objects.
 * The linker's map is kept beside it (`<output>.map`): what each input adds to the program.
 */
export async function linkStatic(
  tc: Toolchain,
  objects: string[],
  output: string,
  libraries: string[] = [],
): Promise<void> {
  const lib = tc.sysroot.lib;
  const [crtbegin, crtend, libgcc, libgccEh, libatomic] = await Promise.all(
    ["crtbeginT.o", "crtend.o", "libgcc.a", "libgcc_eh.a", "libatomic.a"].map((f) => tc.gccFile(f)),
  );
  await gate(() =>
    run([
      tc.cc,
      "-static",
      "-nostdlib",
      "-nostartfiles",
      ...tc.target.cflags,
      join(lib, "crt1.o"),
      join(lib, "crti.o"),
      crtbegin,
      ...objects,
      ...libraries,
      "-Wl,--gc-sections",
      "-Wl,--build-id=none",
      "-Wl,-z,noexecstack",
      `-Wl,-Map=${output}.map`,
      // musl's static start-up never write-protects a RELRO segment, and aligning its end to
      // aarch64's 64 KiB pages costs up to 64 KiB of padding in the file
      "-Wl,-z,norelro",
      "-Wl,--start-group",
      join(lib, "libc.a"),
      libgcc,
      libgccEh,
      libatomic,
      "-Wl,--end-group",
      crtend,
      join(lib, "crtn.o"),
      "-o",
      output,
    ]),
  );
  await run([tc.strip, "--strip-all", "-R", ".comment", output]);
}
