// The QuickJS-ng engine: sources from Debian's qjs-src package, compiled objects per CPU,
// and the qjsc bytecode compiler (built for x86_64, and for big-endian MIPS to run under qemu).
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { extractDeb } from "../../image/lib/apt.ts";
import { sid } from "../../image/lib/debian.ts";
import { pinnedBytes, pinnedPackage } from "../../image/lib/pinned.ts";
import { cachedDir, hashOf } from "../../image/lib/cache.ts";
import { compile, linkStatic, toolchain } from "./toolchain.ts";
import type { Target } from "./targets.ts";

export interface EngineSource {
  dir: string;
  packageVersion: string;
}

let source: Promise<EngineSource> | undefined;

/** Unpacks qjs-src at the version build.lock.json pins (sid keeps only its current one). */
export function engineSource(): Promise<EngineSource> {
  source ??= (async () => {
    const pkg = await pinnedPackage(sid, "qjs-src");
    const dir = await cachedDir("src", `quickjs-ng-${pkg.version}`, async (out) => {
      await extractDeb(pkg.path, out, pinnedBytes(pkg));
    });
    return { dir: join(dir, "usr", "src", "quickjs-ng"), packageVersion: pkg.version };
  })();
  return source;
}

const engineFiles = ["quickjs.c", "libregexp.c", "libunicode.c", "dtoa.c", "quickjs-libc.c"];

/**
 * Big-endian builds: the three library functions QuickJS-ng ships as precompiled little-endian
 * bytecode (Array.fromAsync, Iterator.zip, Iterator.zipKeyed) cannot load there, so they are
 * left out and their bytecode is not linked. Fails loudly if a new engine version moved them.
 */
async function bigEndianQuickjs(src: string): Promise<string> {
  const original = await readFile(join(src, "quickjs.c"), "utf8");
  const dir = await cachedDir("src", `quickjs-be-${hashOf(original)}`, async (out) => {
    let patched = original;
    const builtins = [...original.matchAll(/#include "builtin-([a-z-]+)\.h"/g)];
    for (const [line, name] of builtins) {
      patched = patched.replace(
        line,
        `static const uint8_t qjsc_builtin_${name.replaceAll("-", "_")}[1]; /* little-endian bytecode left out */`,
      );
    }
    const definitions = /JS_DefineAutoInitProperty\(ctx, obj\d, JS_ATOM_\w+,\s*JS_AUTOINIT_ID_BYTECODE,[^;]*;/g;
    const removed = patched.match(definitions)?.length ?? 0;
    if (builtins.length !== 3 || removed !== 3) {
      throw new Error(
        `quickjs.c of this engine version has ${builtins.length} bytecode built-ins and ${removed} definitions of them (expected 3 and 3): update runtime/build/engine.ts for big-endian builds`,
      );
    }
    await writeFile(join(out, "quickjs.c"), patched.replace(definitions, "/* left out on big-endian */"));
  });
  return join(dir, "quickjs.c");
}

/**
 * quickjs-libc's event loop scans only the first N entries of its poll set, N being how many fds
 * poll() reported ready: a ready fd further down (the second of two awaited children ending
 * first) is never served and the loop spins until the earlier ones are ready too. Scan until N
 * ready entries are found instead. Fails loudly if a new engine version changed that loop.
 */
async function pollFixedLibc(src: string): Promise<string> {
  const original = await readFile(join(src, "quickjs-libc.c"), "utf8");
  const dir = await cachedDir("src", `quickjs-libc-poll-${hashOf(original)}`, async (out) => {
    const loop = "    for (pfd = pfds; nfds-- > 0; pfd++) {\n";
    if (original.split(loop).length !== 2)
      throw new Error(
        "quickjs-libc.c of this engine version has no single poll scan loop to fix: update runtime/build/engine.ts",
      );
    await writeFile(
      join(out, "quickjs-libc.c"),
      original.replace(
        loop,
        "    for (pfd = pfds; nfds > 0; pfd++) {\n        if (!pfd->revents)\n            continue;\n        nfds--;\n",
      ),
    );
  });
  return join(dir, "quickjs-libc.c");
}

/**
 * The engine's objects for one CPU. The device runs only precompiled bytecode, so its engine is
 * built without the JavaScript parser (eval, Function and source modules throw there); qjsc keeps it.
 */
export async function engineObjects(t: Target, parser = false): Promise<string[]> {
  const [{ dir }, tc] = await Promise.all([engineSource(), toolchain(t)]);
  const sources = await Promise.all(
    engineFiles.map(async (f) =>
      f === "quickjs.c" && t.bigEndian
        ? bigEndianQuickjs(dir)
        : f === "quickjs-libc.c"
          ? pollFixedLibc(dir)
          : join(dir, f),
    ),
  );
  return Promise.all(sources.map((s) => compile(tc, s, [dir], parser ? ["-w"] : ["-w", "-DQJS_DISABLE_PARSER"])));
}

/** qjsc for a CPU, statically linked: x86_64 compiles little-endian bytecode, mips big-endian. */
export async function qjsc(t: Target): Promise<string> {
  const [{ dir }, tc, engine] = await Promise.all([engineSource(), toolchain(t), engineObjects(t, true)]);
  const main = await compile(tc, join(dir, "qjsc.c"), [dir], ["-w"]);
  const out = await cachedDir(`qjsc/${t.cpu}`, hashOf([...engine, main]), async (d) => {
    await linkStatic(tc, [...engine, main], join(d, "qjsc"));
  });
  return join(out, "qjsc");
}
