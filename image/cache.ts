// `npm run cache -- --du | --prune [--dry-run] | --reset-uses`: the build cache's size by kind, and
// the removal of entries that no existing checkout uses (image/lib/cache.ts records the uses).
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { cacheRoot, resetUses, usesFolder } from "./lib/cache.ts";

/** Bytes on disk under `path`, each inode once (`seen` shared across calls: hard links count once). */
function diskBytes(path: string, seen = new Set<string>()): number {
  const s = lstatSync(path, { bigint: true });
  const id = `${s.dev}:${s.ino}`;
  if (seen.has(id)) return 0;
  seen.add(id);
  let bytes = Number(s.blocks) * 512;
  if (s.isDirectory()) for (const c of readdirSync(path)) bytes += diskBytes(join(path, c), seen);
  return bytes;
}

/** The cache's top-level kinds (apt, deb, kernel, obj, …) with their bytes on disk, largest first. */
export function usage(root = cacheRoot()): { kind: string; bytes: number }[] {
  if (!existsSync(root)) return [];
  const seen = new Set<string>();
  return readdirSync(root)
    .map((kind) => ({ kind, bytes: diskBytes(join(root, kind), seen) }))
    .sort((a, b) => b.bytes - a.bytes || a.kind.localeCompare(b.kind));
}

interface UsesRecord {
  file: string;
  checkout: string;
  entries: string[];
}

function readRecords(root: string): UsesRecord[] {
  const dir = join(root, usesFolder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((name) => {
    const file = join(dir, name);
    const [first = "", ...entries] = readFileSync(file, "utf8").split("\n");
    return { file, checkout: first.replace(/^checkout /, ""), entries: entries.filter((e) => e !== "") };
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface PruneResult {
  /** Records of checkouts that no longer exist (removed, unless a dry run). */
  staleRecords: string[];
  /** Entries no existing checkout uses (removed, unless a dry run), relative to the cache. */
  removed: { entry: string; bytes: number }[];
}

/**
 * Removes what no existing checkout's record of uses names: entries (`kind/key`), whole kinds no
 * record reaches, builds left half-made by dead processes. A lock or a live process's half-made
 * entry stays. Refuses when no checkout has a record: that would empty the cache.
 */
export function prune(root = cacheRoot(), dryRun = false): PruneResult {
  const records = readRecords(root);
  const live = records.filter((r) => existsSync(join(r.checkout, "package.json")));
  if (live.length === 0)
    throw new Error(
      `no checkout has recorded what it uses in ${join(root, usesFolder)}: run npm test in each checkout that shares this cache first`,
    );
  const used = new Set(live.flatMap((r) => r.entries));
  // folders holding used entries deeper down (kinds such as obj/x86_64): walked into, not removed
  const holders = new Set(
    [...used].flatMap((e) => e.split("/").map((_, i, parts) => parts.slice(0, i).join("/"))).filter((p) => p !== ""),
  );
  const staleRecords = records.filter((r) => !live.includes(r)).map((r) => r.checkout);
  const removed: PruneResult["removed"] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const entry = rel === "" ? name : `${rel}/${name}`;
      if (entry === usesFolder || used.has(entry) || name.endsWith(".lock")) continue;
      const tmp = /\.tmp-(\d+)$/.exec(name);
      if (tmp && alive(Number(tmp[1]))) continue;
      if (holders.has(entry)) {
        walk(entry);
        continue;
      }
      removed.push({ entry, bytes: diskBytes(join(root, entry)) });
      if (!dryRun) rmSync(join(root, entry), { recursive: true, force: true });
    }
  };
  if (existsSync(root)) walk("");
  if (!dryRun) {
    for (const r of records) {
      if (!live.includes(r)) rmSync(r.file, { force: true });
      // every process appends its own line per entry: keep each once
      else writeFileSync(r.file, [`checkout ${r.checkout}`, ...new Set(r.entries)].join("\n") + "\n");
    }
  }
  return { staleRecords, removed };
}

export function human(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let n = bytes;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

const Args = z
  .strictObject({
    du: z.boolean().default(false),
    prune: z.boolean().default(false),
    "dry-run": z.boolean().default(false),
    "reset-uses": z.boolean().default(false),
  })
  .refine(
    (a) => [a.du, a.prune, a["reset-uses"]].filter(Boolean).length === 1,
    "give one of --du, --prune, --reset-uses",
  )
  .refine((a) => !a["dry-run"] || a.prune, "--dry-run goes with --prune");
const usageText = "usage: npm run cache -- --du | --prune [--dry-run] | --reset-uses";

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      du: { type: "boolean" },
      prune: { type: "boolean" },
      "dry-run": { type: "boolean" },
      "reset-uses": { type: "boolean" },
    },
    strict: true,
  });
  const args = Args.safeParse(values);
  if (!args.success) throw new Error(`${args.error.issues[0].message}\n${usageText}`);
  const root = cacheRoot();
  if (args.data["reset-uses"]) {
    resetUses();
  } else if (args.data.du) {
    const kinds = usage(root);
    const width = Math.max(5, ...kinds.map((k) => k.kind.length));
    for (const k of kinds) console.log(`${k.kind.padEnd(width)}  ${human(k.bytes).padStart(10)}`);
    console.log(`${"total".padEnd(width)}  ${human(kinds.reduce((s, k) => s + k.bytes, 0)).padStart(10)}  ${root}`);
  } else {
    const dry = args.data["dry-run"];
    const r = prune(root, dry);
    for (const c of r.staleRecords)
      console.log(`${dry ? "would forget" : "forgot"} the uses of ${c} (no longer there)`);
    for (const e of r.removed) console.log(`${dry ? "would remove" : "removed"} ${e.entry} (${human(e.bytes)})`);
    const freed = human(r.removed.reduce((s, e) => s + e.bytes, 0));
    console.log(`${dry ? "would free" : "freed"} ${freed} of ${root}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`npm run cache: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
