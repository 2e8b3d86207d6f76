// Squashfs images checked with unsquashfs, the reference reader.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureCommands } from "../../image/lib/host-programs.ts";
import { squashfs } from "../../image/rootfs/squashfs.ts";
import type { TreeEntry } from "../../image/rootfs/tree.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-sqfs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tree: TreeEntry[] = [
  { type: "file", path: "/etc/shadow", mode: 0o600, uid: 0, gid: 42, content: Buffer.from("root:*:1::::::\n") },
  { type: "file", path: "/usr/bin/tool", mode: 0o755, uid: 0, gid: 0, content: Buffer.from("#!/bin/sh\n") },
  { type: "symlink", path: "/bin/sh", target: "busybox", uid: 0, gid: 0 },
  { type: "char", path: "/dev/console", mode: 0o600, uid: 0, gid: 0, major: 5, minor: 1 },
  { type: "dir", path: "/home/user", mode: 0o700, uid: 1000, gid: 1000 },
];

describe("squashfs writer", () => {
  ensureCommands(["unsquashfs"]);
  it("holds the tree with its owners, modes, links and devices", async () => {
    const image = join(dir, "root.sqfs");
    await squashfs(tree, image);
    const listing = execFileSync("unsquashfs", ["-lln", image], { encoding: "utf8" });
    const row = (path: string) =>
      listing.split("\n").find((l) => l.endsWith(`squashfs-root${path}`) || l.includes(`squashfs-root${path} ->`))!;
    expect(row("/etc/shadow")).toMatch(/^-rw------- 0\/42 /);
    expect(row("/usr/bin/tool")).toMatch(/^-rwxr-xr-x 0\/0 /);
    expect(row("/bin/sh")).toMatch(/^lrwxrwxrwx 0\/0 .* squashfs-root\/bin\/sh -> busybox$/);
    expect(row("/dev/console")).toMatch(/^crw------- 0\/0 +5, +1 /);
    expect(row("/home/user")).toMatch(/^drwx------ 1000\/1000 /);
    execFileSync("unsquashfs", ["-d", join(dir, "x"), "-no-xattrs", image, "/etc/shadow"], { stdio: "ignore" });
    expect(readFileSync(join(dir, "x", "etc", "shadow"), "utf8")).toBe("root:*:1::::::\n");
  });

  it("is reproducible byte for byte", async () => {
    await squashfs(tree, join(dir, "a.sqfs"));
    await squashfs([...tree].reverse(), join(dir, "b.sqfs"));
    expect(readFileSync(join(dir, "a.sqfs")).equals(readFileSync(join(dir, "b.sqfs")))).toBe(true);
  });

  it("refuses a path it cannot describe", async () => {
    await expect(
      squashfs([{ type: "dir", path: "/a b", mode: 0o755, uid: 0, gid: 0 }], join(dir, "c.sqfs")),
    ).rejects.toThrow('"/a b" holds white space');
  });
});
