// Builds from a fresh build cache, to check that a rebuild gives the same bytes: each build runs in
// a process of its own (the builder keeps per-process state) with LIMEN_CACHE naming a new cache
// that shares with the user's only the entries named (the downloaded Debian files, apt/, and
// whatever else the check takes as given, such as a kernel build). test/builds/reproducible.test.ts
// and `npm run bench` (test/bench/hardening.ts) use it.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { cacheRoot, projectRoot } from "../../image/lib/cache.ts";

/** Every file under `dir` with its SHA-256, by path relative to `dir`, in sorted order. */
export function hashes(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return Object.fromEntries(
    files
      .map((e) => join(e.parentPath, e.name))
      .sort()
      .map((f) => [relative(dir, f), createHash("sha256").update(readFileSync(f)).digest("hex")]),
  );
}

/** A new cache at `dir` whose `shared` entries (paths inside a cache, e.g. "apt", "kernel/<key>") are the user's. */
export function freshCache(dir: string, shared: string[]): string {
  mkdirSync(dir);
  for (const entry of shared) {
    const from = join(cacheRoot(), entry);
    if (!existsSync(from)) throw new Error(`${from} does not exist: nothing to share with the fresh cache ${dir}`);
    mkdirSync(dirname(join(dir, entry)), { recursive: true });
    symlinkSync(from, join(dir, entry));
  }
  return dir;
}

/**
 * Runs `npx tsx ...args` from the project root with `cache` as its build cache; returns its seconds.
 * Each line it prints goes to `watch`, which may return why the build must stop (it is then ended,
 * and this fails saying why).
 */
export function buildWith(cache: string, args: string[], watch?: (line: string) => string | null): Promise<number> {
  const started = Date.now();
  // a process group of its own, so that stopping it stops make and the compilers too
  const child = spawn("npx", ["tsx", ...args], {
    cwd: projectRoot,
    env: { ...process.env, LIMEN_CACHE: cache },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const tail: string[] = [];
  let stopped: string | null = null;
  let partial = "";
  const take = (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      const reason = stopped ?? watch?.(line) ?? null;
      if (reason && !stopped) {
        stopped = reason;
        process.kill(-child.pid!, "SIGTERM");
      }
    }
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (stopped) reject(new Error(`npx tsx ${args.join(" ")} stopped: ${stopped}`));
      else if (code === 0) resolve((Date.now() - started) / 1000);
      else reject(new Error(`npx tsx ${args.join(" ")} failed (${code ?? signal}):\n${[...tail, partial].join("\n")}`));
    });
  });
}

export interface ImageBuild {
  /** The image's files and the runtime binaries the build linked, each with its SHA-256. */
  files: Record<string, string>;
  seconds: number;
}

/**
 * `npm run image` of `config` for `device` in a fresh cache `<work>/cache-<name>` sharing `shared`,
 * into `<work>/out-<name>`: the hashes of every output file and of each runtime executable it linked
 * (`runtime/<cpu>`; its linker map names the cache's paths, so it is left out).
 */
export async function imageBuild(
  work: string,
  name: string,
  image: { device: string; config: string; shared: string[]; watch?: (line: string) => string | null },
): Promise<ImageBuild> {
  const cache = freshCache(join(work, `cache-${name}`), image.shared);
  const out = join(work, `out-${name}`);
  const seconds = await buildWith(
    cache,
    ["image/main.ts", "--device", image.device, "--config", image.config, "--out", out],
    image.watch,
  );
  // bin/<cpu>/<key>/limen: the key depends on the cache's paths, so each CPU's are named by the CPU alone
  const runtime: Record<string, string> = {};
  for (const [f, h] of Object.entries(hashes(join(cache, "bin"))).filter(([f]) => f.endsWith("/limen"))) {
    const cpu = `runtime/${f.split("/")[0]}`;
    runtime[cpu] = runtime[cpu] ? `${runtime[cpu]} ${h}` : h;
  }
  return { files: { ...hashes(out), ...runtime }, seconds };
}

/** What differs between two sets of hashes, one line a file; [] when they are the same. */
export function differences(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .sort()
    .filter((f) => a[f] !== b[f])
    .map((f) => `${f}: ${a[f] ?? "(missing)"} vs ${b[f] ?? "(missing)"}`);
}
