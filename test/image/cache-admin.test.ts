// `npm run cache`: the size by kind, and prune keeping exactly what an existing checkout's record
// of uses names, on a temporary cache folder.
import { execFileSync, spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prune, usage } from "../../image/cache.ts";
import { cacheRoot, cachedDir, projectRoot, resetUses, usesFile } from "../../image/lib/cache.ts";

const tsx = join(projectRoot, "node_modules/.bin/tsx");
let root: string;

function put(path: string, bytes: number): void {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), Buffer.alloc(bytes, 1));
}

function cache(...args: string[]) {
  return spawnSync(tsx, [join(projectRoot, "image/cache.ts"), ...args], {
    encoding: "utf8",
    env: { ...process.env, LIMEN_CACHE: root },
  });
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "limen-cache-admin-"));
  process.env.LIMEN_CACHE = root;
});
afterAll(() => {
  delete process.env.LIMEN_CACHE;
  rmSync(root, { recursive: true, force: true });
});

describe("the cache folder", () => {
  it("is $XDG_CACHE_HOME/limen, ~/.cache/limen without it, LIMEN_CACHE when set", () => {
    const env = { ...process.env };
    try {
      delete process.env.LIMEN_CACHE;
      process.env.XDG_CACHE_HOME = "/var/cache/someone";
      expect(cacheRoot()).toBe("/var/cache/someone/limen");
      process.env.XDG_CACHE_HOME = "relative/ignored";
      expect(cacheRoot()).toBe(join(process.env.HOME ?? "", ".cache/limen"));
      process.env.LIMEN_CACHE = "/tmp/elsewhere";
      expect(cacheRoot()).toBe("/tmp/elsewhere");
    } finally {
      process.env.LIMEN_CACHE = env.LIMEN_CACHE;
      if (env.XDG_CACHE_HOME === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = env.XDG_CACHE_HOME;
    }
  });
});

describe("npm run cache", () => {
  beforeAll(async () => {
    resetUses();
    // used by this checkout: one entry of a flat kind, one of a nested kind (obj/<cpu>)
    await cachedDir("deb", "busybox_1", (d) => writeFile(join(d, "f"), Buffer.alloc(10_000)));
    await cachedDir("obj/x86_64", "a", (d) => writeFile(join(d, "o"), Buffer.alloc(5_000)));
    // not used: a sibling entry, a whole CPU's objects, a whole kind, a dead process's half-made entry
    put("deb/busybox_0/f", 20_000);
    put("obj/x86_64/b/o", 4_000);
    put("obj/mips/c/o", 4_000);
    put("kernel/k/vmlinux", 200_000);
    put("deb/dead.tmp-999999999/f", 1_000);
    // kept whatever the records say: a lock and a live process's half-made entry
    put("deb/busybox_2.lock/pid", 10);
    put(`deb/busybox_3.tmp-${process.pid}/f`, 10);
    // a second name for one file counts once
    linkSync(join(root, "kernel/k/vmlinux"), join(root, "kernel/k/vmlinux.link"));
    // another process of this checkout used an entry again
    appendFileSync(usesFile(), "deb/busybox_1\n");
    // the record of a checkout that is gone, naming the kernel
    writeFileSync(join(root, "uses", "gone"), "checkout /nonexistent/limen\nkernel/k\n");
  });

  it("--du gives each top-level kind's bytes on disk, largest first, hard links once", () => {
    const kinds = usage(root);
    expect(kinds.map((k) => k.kind)).toEqual(["kernel", "deb", "obj", "uses"]);
    const kernel = kinds[0].bytes;
    expect(kernel).toBeGreaterThanOrEqual(200_000);
    expect(kernel).toBeLessThan(300_000);
    const r = cache("--du");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^kernel +\d+\.\d KiB\n/);
    expect(r.stdout).toContain(`total`);
    expect(r.stdout).toContain(root);
  });

  it("--prune --dry-run names what it would remove, removes nothing", () => {
    const r = cache("--prune", "--dry-run");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("would forget the uses of /nonexistent/limen (no longer there)");
    expect(r.stdout).toMatch(/would remove kernel \(\d+\.\d KiB\)/);
    expect(r.stdout).toMatch(/would free \d+\.\d KiB/);
    expect(existsSync(join(root, "kernel/k"))).toBe(true);
    expect(existsSync(join(root, "uses/gone"))).toBe(true);
  });

  it("--prune keeps what this checkout uses and removes the rest", () => {
    const r = prune(root);
    expect(r.staleRecords).toEqual(["/nonexistent/limen"]);
    expect(r.removed.map((e) => e.entry)).toEqual([
      "deb/busybox_0",
      "deb/dead.tmp-999999999",
      "kernel",
      "obj/mips",
      "obj/x86_64/b",
    ]);
    expect(r.removed.find((e) => e.entry === "kernel")?.bytes).toBeGreaterThanOrEqual(200_000);
    for (const kept of ["deb/busybox_1", "obj/x86_64/a", "deb/busybox_2.lock", `deb/busybox_3.tmp-${process.pid}`])
      expect(existsSync(join(root, kept)), kept).toBe(true);
    for (const gone of r.removed) expect(existsSync(join(root, gone.entry)), gone.entry).toBe(false);
    expect(existsSync(join(root, "uses/gone"))).toBe(false);
    expect(readFileSync(usesFile(), "utf8")).toBe(`checkout ${projectRoot}\ndeb/busybox_1\nobj/x86_64/a\n`);
  });

  it("refuses to prune when no checkout has a record, which would empty the cache", () => {
    const empty = mkdtempSync(join(tmpdir(), "limen-cache-empty-"));
    try {
      mkdirSync(join(empty, "deb/x"), { recursive: true });
      expect(() => prune(empty)).toThrow(/no checkout has recorded what it uses/);
      expect(existsSync(join(empty, "deb/x"))).toBe(true);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("takes exactly one action", () => {
    const r = cache("--du", "--prune");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("give one of --du, --prune, --reset-uses");
    expect(cache("--du", "--dry-run").stderr).toContain("--dry-run goes with --prune");
    expect(
      execFileSync(tsx, [join(projectRoot, "image/cache.ts"), "--reset-uses"], {
        env: { ...process.env, LIMEN_CACHE: root },
      }).length,
    ).toBe(0);
    expect(readFileSync(usesFile(), "utf8")).toBe(`checkout ${projectRoot}\n`);
  });
});
