// Linux initramfs images: the "newc" cpio format, written directly so that owners, modes and
// device nodes need neither root nor fakeroot. Timestamps are zero: the same tree gives the same bytes.
import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { normalizeTree, type TreeEntry } from "./tree.ts";
import { alignUp, hexDigits } from "../lib/numbers.ts";

const S_IFDIR = 0o040000,
  S_IFREG = 0o100000,
  S_IFLNK = 0o120000,
  S_IFCHR = 0o020000,
  S_IFBLK = 0o060000;

function pad4(n: number): Buffer {
  return Buffer.alloc(alignUp(n, 4) - n);
}

function header(fields: {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  rmajor: number;
  rminor: number;
  name: string;
}): Buffer {
  const name = Buffer.from(`${fields.name}\0`);
  const hex = (n: number) => hexDigits(n >>> 0, 8);
  const text =
    "070701" +
    [
      fields.ino,
      fields.mode,
      fields.uid,
      fields.gid,
      1,
      0,
      fields.size,
      0,
      0,
      fields.rmajor,
      fields.rminor,
      name.length,
      0,
    ]
      .map(hex)
      .join("");
  const head = Buffer.concat([Buffer.from(text), name]);
  return Buffer.concat([head, pad4(head.length)]);
}

export async function cpioArchive(entries: TreeEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of normalizeTree(entries)) {
    const name = e.path.slice(1);
    let data: Buffer = Buffer.alloc(0);
    let mode: number;
    let rmajor = 0,
      rminor = 0;
    switch (e.type) {
      case "dir":
        mode = S_IFDIR | e.mode;
        break;
      case "file":
        mode = S_IFREG | e.mode;
        data = Buffer.isBuffer(e.content) ? e.content : await readFile(e.content.hostPath);
        break;
      case "symlink":
        mode = S_IFLNK | 0o777;
        data = Buffer.from(e.target);
        break;
      case "char":
      case "block":
        mode = (e.type === "char" ? S_IFCHR : S_IFBLK) | e.mode;
        rmajor = e.major;
        rminor = e.minor;
        break;
    }
    parts.push(
      header({ ino: ino++, mode, uid: e.uid, gid: e.gid, size: data.length, rmajor, rminor, name }),
      data,
      pad4(data.length),
    );
  }
  parts.push(header({ ino: 0, mode: 0, uid: 0, gid: 0, size: 0, rmajor: 0, rminor: 0, name: "TRAILER!!!" }));
  return Buffer.concat(parts);
}

export async function initramfs(entries: TreeEntry[]): Promise<Buffer> {
  return gzipSync(await cpioArchive(entries), { level: 9 });
}
