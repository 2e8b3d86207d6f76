// Content-addressed build cache: a step's result lives under a key derived from all its inputs,
// is built in a temporary folder and renamed into place, so an interrupted build leaves nothing half-made.
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";

export const projectRoot = resolve(import.meta.dirname, "../..");

/** Outside the checkout, so a second clone, a worktree and CI on the same machine share it. */
export function cacheRoot(): string {
  if (process.env.LIMEN_CACHE) return resolve(process.env.LIMEN_CACHE);
  const xdg = process.env.XDG_CACHE_HOME;
  // the XDG specification ignores a relative XDG_CACHE_HOME
  return join(xdg?.startsWith("/") ? xdg : join(homedir(), ".cache"), "limen");
}

/**
 * Each checkout records the entries it looks up in `<cache>/uses/<checkout key>`: a first line
 * `checkout PATH`, then one `kind/key` a line. `npm test` starts the record afresh, so after a run
 * it names exactly what the checkout's current inputs reference; `npm run cache -- --prune` keeps
 * only what some existing checkout's record names.
 */
export const usesFolder = "uses";

export function usesFile(checkout = projectRoot): string {
  return join(cacheRoot(), usesFolder, hashOf("checkout", checkout));
}

const recorded = new Set<string>();

/** Notes that this checkout uses `<cache>/<kind>/<key>` (once per process). */
export function recordUse(kind: string, key: string): void {
  const file = usesFile();
  const line = `${kind}/${key}`;
  if (recorded.has(`${file}\n${line}`)) return;
  recorded.add(`${file}\n${line}`);
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, `checkout ${projectRoot}\n`, { flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  // one short line per append (O_APPEND): parallel test processes do not interleave within a line
  appendFileSync(file, `${line}\n`);
}

/** Starts this checkout's record of uses afresh (npm test does, before it builds anything). */
export function resetUses(): void {
  const file = usesFile();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `checkout ${projectRoot}\n`);
  recorded.clear();
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
  return hashOf(paths.map((p, i) => [p, contents[i]]));
}

/**
 * Returns the folder `<cache>/<kind>/<key>`, calling `produce` to fill it first when it does not exist.
 * Concurrent callers for one key share a single production: within this process by its promise,
 * across processes (test files run in parallel) by a lock folder beside it.
 */
const inFlight = new Map<string, Promise<string>>();
export function cachedDir(kind: string, key: string, produce: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(cacheRoot(), kind, key);
  recordUse(kind, key);
  const pending = inFlight.get(dir);
  if (pending) return pending;
  const p = (async () => {
    if (existsSync(dir)) return dir;
    return locked(dir, async () => {
      // made by the process that held the lock before
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
        // a process that took over a lock it judged stale produced the same key first: equivalent
        await rm(tmp, { recursive: true, force: true });
        if (!existsSync(dir)) throw e;
      }
      return dir;
    });
  })();
  inFlight.set(dir, p);
  return p;
}

/** Runs `work` holding `<dir>.lock` (a folder naming its owner's PID); a dead owner's lock is taken over. */
async function locked<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  await mkdir(dirname(lock), { recursive: true });
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    if (await stale(lock)) await rm(lock, { recursive: true, force: true });
    else await new Promise((r) => setTimeout(r, 1000));
  }
  try {
    await writeFile(join(lock, "pid"), String(process.pid));
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function stale(lock: string): Promise<boolean> {
  const pid = Number(await readFile(join(lock, "pid"), "utf8").catch(() => ""));
  // no PID yet: its owner is between making the folder and writing the file, unless that was long ago
  if (!pid)
    return (
      Date.now() -
        (await stat(lock).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        )) >
      60_000
    );
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}
