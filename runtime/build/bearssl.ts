// BearSSL, the TLS and crypto library of limen:native: Debian's source package, compiled per CPU
// into a static archive, so the link takes only the objects the native code reaches.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { bookworm } from "../../image/lib/debian.ts";
import { cachedDir, hashOf } from "../../image/lib/cache.ts";
import { archive, compile, toolchain } from "./toolchain.ts";
import type { Target } from "./targets.ts";

/** The BearSSL release this runtime is written and measured against. */
export const pinnedBearssl = "bearssl=0.6+dfsg.1-3";

let source: Promise<string> | undefined;

/** The unpacked source tree (inc/, src/). */
export function bearsslSource(): Promise<string> {
  source ??= cachedDir("src", pinnedBearssl.replace("=", "-"), (out) =>
    bookworm.source(pinnedBearssl, join(out, "bearssl")),
  ).then((d) => join(d, "bearssl"));
  return source;
}

/** Include folder for code using BearSSL. */
export async function bearsslInclude(): Promise<string> {
  return join(await bearsslSource(), "inc");
}

async function cFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e) =>
      e.isDirectory() ? cFiles(join(dir, e.name)) : e.name.endsWith(".c") ? [join(dir, e.name)] : [],
    ),
  );
  return nested.flat().sort();
}

/** libbearssl.a for one CPU. Object names are unique across BearSSL's folders. */
export async function bearsslLibrary(t: Target): Promise<string> {
  const [src, tc] = await Promise.all([bearsslSource(), toolchain(t)]);
  const inc = join(src, "inc");
  const files = await cFiles(join(src, "src"));
  if (files.length < 200)
    throw new Error(
      `${src}/src holds ${files.length} C files, fewer than a BearSSL tree: update runtime/build/bearssl.ts`,
    );
  // subfolders of src/ include "inner.h" from src/
  const objects = await Promise.all(files.map((f) => compile(tc, f, [inc, join(src, "src")], ["-w"])));
  const dir = await cachedDir(`bearssl/${t.cpu}`, hashOf(objects), (out) =>
    archive(tc, objects, join(out, "libbearssl.a")),
  );
  return join(dir, "libbearssl.a");
}

/**
 * Bytes a link took from `library`, by its linker map: the input sections kept after
 * --gc-sections that occupy the file (.bss and the like only take memory).
 */
export async function linkedBytes(mapFile: string, library: string): Promise<number> {
  const map = await readFile(mapFile, "utf8");
  const start = map.indexOf("\nLinker script and memory map");
  if (start < 0) throw new Error(`${mapFile} is not a GNU ld map (no memory map section)`);
  const name = library.split("/").pop()!;
  let total = 0;
  let section = "";
  for (const line of map.slice(start).split("\n")) {
    // an input section: " .name  0xADDRESS  0xSIZE  file", the name alone on the line before when long
    const m = /^ (\.\S+|COMMON)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$/.exec(line);
    if (!m) {
      section = /^ (\.\S+|COMMON)$/.exec(line)?.[1] ?? "";
      continue;
    }
    const sec = m[1] ?? section;
    if (m[3].includes(`${name}(`) && !/^(\.s?bss|\.tbss|COMMON)/.test(sec)) total += parseInt(m[2], 16);
  }
  return total;
}
