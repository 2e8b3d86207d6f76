// A full /run (the tmpfs holding outputs and secrets): writes fail with the reason, the last good
// value stays and no temporary file is left behind.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { layout } from "../../runtime/src/layout.ts";
import { binaryPath } from "../lib/runtime.ts";

let root = "";
afterEach(() => {
  spawnSync("umount", [join(root, "run")]);
  rmSync(root, { recursive: true, force: true });
});

/** A root whose /run is a tmpfs of 64 KiB (needs root, as the whole suite runs). */
function smallRun(): string {
  root = mkdtempSync(join(tmpdir(), "limen-fullrun-"));
  mkdirSync(join(root, "run"));
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", join(root, "run")], { encoding: "utf8" });
  if (m.status !== 0) throw new Error(`mount tmpfs: ${m.stderr}`);
  return root;
}

/** Fills the filesystem of `dir` to its last block. */
function fill(dir: string): void {
  const r = spawnSync("dd", ["if=/dev/zero", `of=${join(dir, "filler")}`, "bs=1k"], { encoding: "utf8" });
  expect(r.stderr).toMatch(/No space left on device/);
}

describe("a full /run", () => {
  it("fails output --set with the reason, keeps the last good value and leaves no temporary file", () => {
    const r = smallRun();
    const output = (...args: string[]) =>
      spawnSync(binaryPath("x86_64"), ["output", ...args], {
        encoding: "utf8",
        env: { ...process.env, LIMEN_ROOT: r },
      });
    expect(output("--set", "web", "address", "10.0.0.1").status).toBe(0);
    fill(join(r, "run"));
    const failed = output("--set", "web", "address", "10.0.0.2");
    expect(failed.stderr).toMatch(/^output: .*No space left on device\n$/);
    expect(failed.status).toBe(111);
    const dir = layout(r).outputsOf("web");
    expect(readFileSync(join(dir, "address"), "utf8")).toBe("10.0.0.1");
    expect(readdirSync(dir)).toEqual(["address"]);
    expect(output("web", "address").stdout).toBe("10.0.0.1");
  });
});
