// The result folder of `npm run image`: its files hold the root filesystem (/etc/shadow's hashes,
// literal secrets), so the folder and its files are the builder's alone, run.sh executable for
// the builder; the root tree of systemConfiguration keeps the modes the device gives it.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { replaceResult, resultMarker } from "../../image/lib/result.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-result-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string): string => (statSync(path).mode & 0o7777).toString(8);

it("is its builder's alone: the folder 0700, its files 0600, run.sh 0700; a root tree in it keeps its modes", async () => {
  const out = join(dir, "result");
  const previous = process.umask(0o022);
  try {
    await replaceResult(out, async (tmp) => {
      writeFileSync(join(tmp, "rootfs.squashfs"), "the root filesystem");
      writeFileSync(join(tmp, "manifest"), "/etc/shadow f 600 0 0\n");
      writeFileSync(join(tmp, "run.sh"), "#!/bin/sh\n");
      chmodSync(join(tmp, "run.sh"), 0o755);
      mkdirSync(join(tmp, "root", "etc"), { recursive: true });
      writeFileSync(join(tmp, "root", "etc", "hostname"), "router\n");
      chmodSync(join(tmp, "root", "etc"), 0o755);
      await Promise.resolve();
    });
  } finally {
    process.umask(previous);
  }
  expect(mode(out)).toBe("700");
  expect(["rootfs.squashfs", "manifest", resultMarker, "run.sh"].map((f) => mode(join(out, f)))).toEqual([
    "600",
    "600",
    "600",
    "700",
  ]);
  expect(mode(join(out, "root", "etc"))).toBe("755");
  expect(mode(join(out, "root", "etc", "hostname"))).toBe("644");
});
