// The environment of kernel make runs (makeEnv) gives the same kernel whoever builds it: kbuild's
// own initramfs, which a kernel with BLK_DEV_INITRD carries, is made by the source's
// usr/gen_initramfs.sh with its entries' time read from KBUILD_BUILD_TIMESTAMP by `date`, in
// the builder's time zone unless the environment fixes it.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeEnv } from "../../image/kernel/config.ts";
import { kernelSource } from "../../image/kernel/source.ts";

const work = mkdtempSync(join(tmpdir(), "limen-kernel-env-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** kbuild's default initramfs (usr/default_cpio_list) as gen_initramfs.sh makes it with makeEnv() under `tz`. */
function initramfs(src: string, tz: string): Buffer {
  const saved = process.env.TZ;
  process.env.TZ = tz;
  try {
    const out = join(work, `${tz.replace("/", "-")}.cpio`);
    execFileSync("sh", [join(src, "usr/gen_initramfs.sh"), "-o", out, join(src, "usr/default_cpio_list")], {
      cwd: work,
      env: makeEnv(),
    });
    return readFileSync(out);
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

/** The mtime field of each newc entry (070701 magic, then 8-hex fields: ino, mode, uid, gid, nlink, mtime). */
function mtimes(cpio: Buffer): number[] {
  const text = cpio.toString("latin1");
  return [...text.matchAll(/070701[0-9A-F]{40}([0-9A-F]{8})/gi)].map((m) => parseInt(m[1], 16));
}

describe("kernel make environment", { timeout: 300_000 }, () => {
  it("makes kbuild's initramfs with time 0 in any time zone", async () => {
    const src = (await kernelSource()).dir;
    // gen_initramfs.sh runs usr/gen_init_cpio from the build folder, as kbuild's own build of it does
    mkdirSync(join(work, "usr"));
    execFileSync("gcc", ["-O2", "-o", join(work, "usr/gen_init_cpio"), join(src, "usr/gen_init_cpio.c")]);
    const paris = initramfs(src, "Europe/Paris");
    const tokyo = initramfs(src, "Asia/Tokyo");
    expect(mtimes(paris)).toEqual([0, 0, 0, 0]);
    expect(tokyo.equals(paris)).toBe(true);
  });
});
