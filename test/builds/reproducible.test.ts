// Reproducible images: the same configuration built twice, each time by its own process with its
// own empty build cache (sharing only the downloaded Debian files, apt/), gives the same bytes in
// every output file and the same runtime binary.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cacheRoot, projectRoot } from "../../image/lib/cache.ts";

const work = mkdtempSync(join(tmpdir(), "limen-reproducible-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every file under `dir` with its SHA-256, by path relative to `dir`. */
function hashes(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files
      .map((e) => join(e.parentPath, e.name))
      .sort()
      .map((f) => [relative(dir, f), createHash("sha256").update(readFileSync(f)).digest("hex")]),
  );
}

/** Builds in a child process (the builder keeps per-process state) with a fresh cache; returns its seconds. */
function coldBuild(name: string, device: string, config: string): { out: string; cache: string; seconds: number } {
  const cache = join(work, `cache-${name}`);
  mkdirSync(cache);
  symlinkSync(join(cacheRoot(), "apt"), join(cache, "apt"));
  const out = join(work, `out-${name}`);
  const started = Date.now();
  const r = spawnSync("npx", ["tsx", "image/main.ts", "--device", device, "--config", config, "--out", out], {
    cwd: projectRoot,
    env: { ...process.env, LIMEN_CACHE: cache },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`build ${name} failed (${r.status}):\n${r.stderr}`);
  return { out, cache, seconds: (Date.now() - started) / 1000 };
}

// two cold builds of the runtime and the image: about a minute each on two cores
describe("hello-from-qemu for qemu-aarch64, built twice from empty caches", { timeout: 1_200_000 }, () => {
  it("gives byte-identical output files and runtime binaries", () => {
    const builds = ["a", "b"].map((n) => coldBuild(n, "qemu-aarch64", "examples/hello-from-qemu.ts"));
    console.log(`cold builds: ${builds.map((b) => `${b.seconds.toFixed(0)} s`).join(", ")}`);
    const [a, b] = builds.map((x): Record<string, string | string[]> => ({
      ...hashes(x.out),
      // the executable the runtime build linked, besides its copy in the root filesystem
      // (its linker map names the cache's paths, so it is left out)
      runtime: Object.entries(hashes(join(x.cache, "bin", "aarch64")))
        .filter(([f]) => f.endsWith("/limen"))
        .map(([, h]) => h),
    }));
    expect(Object.keys(a)).toEqual(
      expect.arrayContaining(["rootfs.squashfs", "initramfs.cpio.gz", "kernel", "run.sh", "runtime"]),
    );
    expect(a.runtime).toHaveLength(1);
    expect(b).toEqual(a);
  });
});
