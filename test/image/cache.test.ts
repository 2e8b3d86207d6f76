import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedDir, hashOf } from "../../image/lib/cache.ts";

describe("build cache", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "limen-cache-"));
    process.env.LIMEN_CACHE = root;
  });
  afterAll(() => {
    delete process.env.LIMEN_CACHE;
    rmSync(root, { recursive: true, force: true });
  });

  it("keys distinguish how inputs are split, not only their concatenation", () => {
    expect(hashOf("ab")).not.toBe(hashOf("a", "b"));
    expect(hashOf(["a", "b"])).not.toBe(hashOf(["ab"]));
    expect(hashOf("x", Buffer.from("y"))).not.toBe(hashOf("x", "y"));
    expect(hashOf("same", ["input"])).toBe(hashOf("same", ["input"]));
  });

  it("produces a result once and reuses it", async () => {
    let runs = 0;
    const produce = async (dir: string) => {
      runs++;
      await writeFile(join(dir, "out"), "built");
    };
    const [a, b] = await Promise.all([cachedDir("t", "k1", produce), cachedDir("t", "k1", produce)]);
    const c = await cachedDir("t", "k1", produce);
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(runs).toBe(1);
    expect(readFileSync(join(a, "out"), "utf8")).toBe("built");
  });

  it("produces a result once when processes ask for it at the same time", async () => {
    const script = join(root, "build.mts");
    const cache = new URL("../../image/lib/cache.ts", import.meta.url).pathname;
    // each process counts its production in a shared log, slowly enough for the others to wait
    await writeFile(
      script,
      `import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cachedDir } from ${JSON.stringify(cache)};
const dir = await cachedDir("t", "shared", async (d) => {
  appendFileSync(${JSON.stringify(join(root, "log"))}, process.pid + "\\n");
  await new Promise((r) => setTimeout(r, 1500));
  writeFileSync(join(d, "out"), "built");
});
console.log(dir);
`,
    );
    const tsx = new URL("../../node_modules/.bin/tsx", import.meta.url).pathname;
    const runs = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<string>((resolve, reject) => {
            execFile(tsx, [script], { env: { ...process.env, LIMEN_CACHE: root } }, (e, stdout) =>
              e ? reject(new Error(`${script}: ${e.message}`, { cause: e })) : resolve(stdout.trim()),
            );
          }),
      ),
    );
    expect(new Set(runs)).toEqual(new Set([join(root, "t", "shared")]));
    expect(readFileSync(join(root, "log"), "utf8").trim().split("\n")).toHaveLength(1);
    expect(readdirSync(join(root, "t")).filter((f) => f.startsWith("shared"))).toEqual(["shared"]);
  });

  it("leaves nothing behind when a step fails", async () => {
    await expect(
      cachedDir("t", "broken", async (dir) => {
        await writeFile(join(dir, "half"), "half-written");
        throw new Error("compiler crashed");
      }),
    ).rejects.toThrow("compiler crashed");
    expect(existsSync(join(root, "t", "broken"))).toBe(false);
    expect(readdirSync(join(root, "t")).filter((f) => f.startsWith("broken"))).toEqual([]);
  });
});
