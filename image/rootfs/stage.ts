// A root tree written out as a folder: folders, files with their modes and symlinks, every time
// stamp zero so the same tree gives the same bytes. Owners and device nodes need root to make:
// they are returned as a table (path type mode uid gid major minor) for the writer that uses them.
import { chmod, copyFile, lutimes, mkdir, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { normalizeTree, type TreeEntry } from "./tree.ts";

export interface OwnerRow {
  path: string;
  type: "d" | "f" | "l" | "c" | "b";
  mode: number;
  uid: number;
  gid: number;
  /** Device numbers of a character or block device, which is not made in the folder. */
  device?: [major: number, minor: number];
}

/** Writes `entries` under `root` (which must not exist) and returns every entry's owner and mode, parents first. */
export async function stageTree(entries: TreeEntry[], root: string): Promise<OwnerRow[]> {
  const tree = normalizeTree(entries);
  const rows: OwnerRow[] = [];
  await mkdir(root, { mode: 0o755 });
  for (const e of tree) {
    const host = join(root, e.path);
    switch (e.type) {
      case "dir":
        await mkdir(host, { recursive: true });
        rows.push({ path: e.path, type: "d", mode: e.mode, uid: e.uid, gid: e.gid });
        break;
      case "file":
        if (Buffer.isBuffer(e.content)) await writeFile(host, e.content);
        else await copyFile(e.content.hostPath, host);
        await chmod(host, e.mode & 0o7777);
        rows.push({ path: e.path, type: "f", mode: e.mode, uid: e.uid, gid: e.gid });
        break;
      case "symlink":
        await symlink(e.target, host);
        rows.push({ path: e.path, type: "l", mode: 0o777, uid: e.uid, gid: e.gid });
        break;
      case "char":
      case "block":
        rows.push({
          path: e.path,
          type: e.type === "char" ? "c" : "b",
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          device: [e.major, e.minor],
        });
        break;
    }
  }
  // deepest first, so making a child does not touch its folder again; a folder's mode last, as
  // one without write permission would refuse its children to a builder who is not root
  for (const e of [...tree].reverse()) {
    if (e.type === "symlink") await lutimes(join(root, e.path), 0, 0);
    else if (e.type === "file" || e.type === "dir") {
      if (e.type === "dir") await chmod(join(root, e.path), e.mode & 0o7777);
      await utimes(join(root, e.path), 0, 0);
    }
  }
  await utimes(root, 0, 0);
  return rows;
}
