// A static musl sysroot per target: musl's headers and libc.a plus the kernel's UAPI headers,
// in one layout for every CPU: include/, kinclude/, lib/.
import { cp, mkdir, readdir, rename } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import { extractDeb, type FetchedPackage } from "../../image/lib/apt.ts";
import { bookworm } from "../../image/lib/debian.ts";
import { pinnedBytes, pinnedPackage } from "../../image/lib/pinned.ts";
import { cachedDir, hashOf } from "../../image/lib/cache.ts";
import { run } from "../../image/lib/run.ts";
import type { Target } from "./targets.ts";

export interface Sysroot {
  include: string;
  kinclude: string;
  lib: string;
}

function layout(dir: string): Sysroot {
  return { include: join(dir, "include"), kinclude: join(dir, "kinclude"), lib: join(dir, "lib") };
}

export async function sysroot(t: Target): Promise<Sysroot> {
  // The source build takes bookworm's musl version, so the same packages pin both kinds of sysroot.
  const musl = await Promise.all(
    (t.debArch ? [`musl-dev:${t.debArch}`, `musl:${t.debArch}`] : ["musl-dev:mipsel"]).map((s) =>
      pinnedPackage(bookworm, s),
    ),
  );
  const headers = await pinnedPackage(bookworm, `linux-libc-dev-${t.kernelHeaders}-cross`);
  const key = hashOf([...musl, headers].map((p) => `${p.name}_${p.version}_${p.architecture}`));
  const dir = await cachedDir("sysroot", `${t.cpu}-${key}`, async (out) => {
    const tmp = join(out, "unpacked");
    await extractDeb(headers.path, tmp, pinnedBytes(headers));
    await rename(join(tmp, "usr", t.gnu, "include"), join(out, "kinclude"));
    if (t.debArch) await unpackMusl(musl, tmp, out);
    else await buildMusl(t, musl[0].version, tmp, out);
    await run(["rm", "-rf", tmp]);
  });
  return layout(dir);
}

async function unpackMusl(debs: FetchedPackage[], tmp: string, out: string): Promise<void> {
  for (const d of debs) await extractDeb(d.path, tmp, pinnedBytes(d));
  const includeRoot = join(tmp, "usr", "include");
  const [muslTriple] = (await readdir(includeRoot)).filter((d) => d.endsWith("-linux-musl") || d.includes("musl"));
  if (!muslTriple) throw new Error(`${debs[0].path} has no headers under /usr/include/*-linux-musl*`);
  await rename(join(includeRoot, muslTriple), join(out, "include"));
  await rename(join(tmp, "usr", "lib", muslTriple), join(out, "lib"));
}

/** Debian has no big-endian MIPS binaries any more: build bookworm's musl from its source package. */
async function buildMusl(t: Target, version: string, tmp: string, out: string): Promise<void> {
  const src = join(tmp, "musl");
  await bookworm.source(`musl=${version}`, src);
  const cc = `${t.gnu}-gcc`;
  await run(
    [
      "./configure",
      `--target=${t.gnu.replace("-gnu", "-musl")}`,
      "--prefix=/",
      "--disable-shared",
      `CC=${cc}`,
      `CROSS_COMPILE=${t.gnu}-`,
      "CFLAGS=-Os",
    ],
    { cwd: src },
  );
  await run(["make", `-j${cpus().length}`], { cwd: src });
  const dest = join(tmp, "installed");
  await mkdir(dest);
  await run(["make", "install", `DESTDIR=${dest}`], { cwd: src });
  await cp(join(dest, "include"), join(out, "include"), { recursive: true });
  await cp(join(dest, "lib"), join(out, "lib"), { recursive: true });
}
