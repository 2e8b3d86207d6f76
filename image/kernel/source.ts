// The kernel source: Debian bookworm's linux-source-6.1 (Debian's patches already applied) at the
// version build.lock.json pins, fetched with the private apt and unpacked once into the cache.
// Builds never write into it: they use O=.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { extractDeb } from "../lib/apt.ts";
import { cachedDir, hashOf } from "../lib/cache.ts";
import { bookworm } from "../lib/debian.ts";
import { pinnedBytes, pinnedPackage } from "../lib/pinned.ts";
import { run } from "../lib/run.ts";

export const sourcePackage = "linux-source-6.1";

export interface KernelSource {
  /** The unpacked tree (read-only by convention). */
  dir: string;
  /** Debian version of linux-source-6.1, e.g. 6.1.176-1: part of every build's cache key. */
  packageVersion: string;
  sha256: string;
}

let pending: Promise<KernelSource> | undefined;

/** Fetches and unpacks the source once per process (and once per package version in the cache). */
export function kernelSource(): Promise<KernelSource> {
  pending ??= (async () => {
    const deb = await pinnedPackage(bookworm, sourcePackage);
    const dir = await cachedDir("kernel-source", hashOf(deb.name, deb.version, deb.sha256), async (tmp) => {
      const unpacked = join(tmp, "deb");
      await extractDeb(deb.path, unpacked, pinnedBytes(deb));
      const tarballs = (await readdir(join(unpacked, "usr/src"))).filter((f) =>
        /^linux-source-.*\.tar\.(xz|bz2|gz)$/.test(f),
      );
      if (tarballs.length !== 1)
        throw new Error(
          `${deb.path}: expected one linux-source tarball in /usr/src, found ${tarballs.join(", ") || "none"}`,
        );
      await run(["tar", "-xf", join(unpacked, "usr/src", tarballs[0]), "-C", tmp, "--strip-components=1"]);
      await run(["rm", "-rf", unpacked]);
    });
    return { dir, packageVersion: deb.version, sha256: deb.sha256 };
  })();
  // a failed attempt (network down) may be retried by a later call
  pending.catch(() => (pending = undefined));
  return pending;
}
