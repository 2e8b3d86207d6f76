// Content-addressed build cache: a step's result lives under a key derived from all its inputs,
// is built in a temporary folder and renamed into place, so an interrupted build leaves nothing half-made.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";

export const projectRoot = resolve(import.meta.dirname, "../..");

export function cacheRoot(): string {
  return process.env.LIMEN_CACHE ? resolve(process.env.LIMEN_CACHE) : join(projectRoot, ".cache");
}

export type Input = string | Buffer | Input[];

export function hashOf(...inputs: Input[]): string {
  const h = createHash("sha256");
  const feed = (i: Input): void => {
    if (Array.isArray(i)) {
      h.update(`[${i.length}`);
      i.forEach(feed);
      h.update("]");
    } else {
      h.update(`${typeof i === "string" ? "s" : "b"}${i.length}:`);
      h.update(i);
    }
  };
  inputs.forEach(feed);
  return h.digest("hex").slice(0, 24);
}

/** A key from files' paths (relative to `base`) and contents. */
export async function hashFiles(paths: string[], base: string): Promise<string> {
  const contents = await Promise.all(paths.map((p) => readFile(join(base, p))));
  return hashOf(paths.map((p, i) => [p, contents[i]!]));
}

/**
 * Returns the folder `<cache>/<kind>/<key>`, calling `produce` to fill it first when it does not exist.
 * Concurrent callers for one key within this process share a single production.
 */
const inFlight = new Map<string, Promise<string>>();
export function cachedDir(kind: string, key: string, produce: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(cacheRoot(), kind, key);
  const pending = inFlight.get(dir);
  if (pending) return pending;
  const p = (async () => {
    if (existsSync(dir)) return dir;
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      await produce(tmp);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    try {
      await rename(tmp, dir);
    } catch (e) {
      // another build process produced the same key first: its result is equivalent
      await rm(tmp, { recursive: true, force: true });
      if (!existsSync(dir)) throw e;
    }
    return dir;
  })();
  inFlight.set(dir, p);
  return p;
}
