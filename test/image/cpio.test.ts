// The initramfs writer checked by GNU cpio, which the kernel's format is defined against.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { cpioArchive, initramfs } from "../../image/rootfs/cpio.ts";
import { normalizeTree, type TreeEntry } from "../../image/rootfs/tree.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-cpio-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hostFile = join(dir, "host-file");
writeFileSync(hostFile, "from the host\n");
const tree: TreeEntry[] = [
  { type: "file", path: "/etc/motd", mode: 0o644, uid: 0, gid: 0, content: Buffer.from("hello\n") },
  { type: "file", path: "/bin/tool", mode: 0o755, uid: 0, gid: 0, content: { hostPath: hostFile } },
  { type: "file", path: "/etc/shadow", mode: 0o600, uid: 0, gid: 42, content: Buffer.from("root:*:1::::::\n") },
  { type: "symlink", path: "/bin/sh", target: "tool", uid: 0, gid: 0 },
  { type: "char", path: "/dev/console", mode: 0o600, uid: 0, gid: 0, major: 5, minor: 1 },
  { type: "dir", path: "/run", mode: 0o1777, uid: 0, gid: 0 },
];

describe("cpio (newc) writer", () => {
  it("lists owners, modes, links and device numbers as GNU cpio reads them", async () => {
    const listing = execFileSync("cpio", ["-itv", "--quiet", "--numeric-uid-gid"], {
      input: await cpioArchive(tree),
      encoding: "utf8",
    });
    const rows = listing
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/));
    const find = (name: string) => rows.find((r) => r.at(-1) === name || r.at(-3) === name)!;
    expect(rows.map((r) => (r.at(-2) === "->" ? r.at(-3) : r.at(-1)))).toEqual([
      "bin",
      "bin/sh",
      "bin/tool",
      "dev",
      "dev/console",
      "etc",
      "etc/motd",
      "etc/shadow",
      "run",
    ]);
    expect(find("etc/shadow").slice(0, 4)).toEqual(["-rw-------", "1", "0", "42"]);
    expect(find("run")[0]).toBe("drwxrwxrwt");
    expect(find("dev/console")[0]).toBe("crw-------");
    expect(find("dev/console").slice(4, 6)).toEqual(["5,", "1"]);
    expect(find("bin/sh").slice(-3)).toEqual(["bin/sh", "->", "tool"]);
  });

  it("extracts to the same contents", async () => {
    const out = join(dir, "extract");
    execFileSync("sh", ["-c", `mkdir ${out} && cd ${out} && gzip -dc | cpio -id --quiet 2>/dev/null; true`], {
      input: await initramfs(tree.filter((e) => e.type !== "char")),
    });
    expect(readFileSync(join(out, "etc/motd"), "utf8")).toBe("hello\n");
    expect(readFileSync(join(out, "bin/tool"), "utf8")).toBe("from the host\n");
    expect(statSync(join(out, "bin/tool")).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(out, "bin/sh"))).toBe("tool");
  });

  it("is reproducible byte for byte", async () => {
    expect(gunzipSync(await initramfs(tree)).equals(await cpioArchive([...tree].reverse()))).toBe(true);
  });

  it("rejects a path given twice or placed inside a file", () => {
    expect(() => normalizeTree([tree[0], { ...tree[0], mode: 0o600 } as TreeEntry])).toThrow(
      "/etc/motd is given twice (file and file)",
    );
    expect(() => normalizeTree([tree[0], { type: "dir", path: "/etc/motd/x", mode: 0o755, uid: 0, gid: 0 }])).toThrow(
      "/etc/motd/x is inside /etc/motd, which is a file",
    );
    expect(() => normalizeTree([{ type: "dir", path: "/a/../b", mode: 0o755, uid: 0, gid: 0 }])).toThrow(
      '"/a/../b" is not a clean absolute path',
    );
  });
});
