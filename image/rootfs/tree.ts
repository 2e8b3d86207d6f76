// A root filesystem as a list of entries, the form every image writer (cpio, squashfs) takes.
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
export type TreeEntry =
  | { type: "dir"; path: string; mode: number; uid: number; gid: number }
  | {
      type: "file";
      path: string;
      mode: number;
      uid: number;
      gid: number;
      content: Buffer | { hostPath: string };
      package?: string;
    }
  | { type: "symlink"; path: string; target: string; uid: number; gid: number; package?: string }
  | { type: "char" | "block"; path: string; mode: number; uid: number; gid: number; major: number; minor: number };

/** Sorts entries so parents precede children, adding root-owned 0755 directories that are implied. */
export function normalizeTree(entries: TreeEntry[]): TreeEntry[] {
  const byPath = new Map<string, TreeEntry>();
  for (const e of entries) {
    if (!e.path.startsWith("/") || e.path.includes("//") || e.path.split("/").includes("..")) {
      throw new Error(`root filesystem: "${e.path}" is not a clean absolute path`);
    }
    const earlier = byPath.get(e.path);
    if (earlier && !(earlier.type === "dir" && e.type === "dir")) {
      throw new Error(`root filesystem: ${e.path} is given twice (${earlier.type} and ${e.type})`);
    }
    byPath.set(e.path, e);
    for (let p = e.path.slice(0, e.path.lastIndexOf("/")); p.length > 0; p = p.slice(0, p.lastIndexOf("/"))) {
      const parent = byPath.get(p);
      if (parent && parent.type !== "dir")
        throw new Error(`root filesystem: ${e.path} is inside ${p}, which is a ${parent.type}`);
      if (!parent) byPath.set(p, { type: "dir", path: p, mode: 0o755, uid: 0, gid: 0 });
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A cache key for a tree: paths, kinds, owners, modes and contents (host files by path, size and time). */
export function treeKey(entries: TreeEntry[]): string[] {
  return entries
    .map((e) => {
      const content =
        e.type !== "file"
          ? ""
          : Buffer.isBuffer(e.content)
            ? createHash("sha256").update(e.content).digest("hex")
            : hostFileStamp(e.content.hostPath);
      return JSON.stringify({ ...e, content });
    })
    .sort();
}

function hostFileStamp(path: string): string {
  const st = statSync(path);
  return `${path}:${st.size}:${st.mtimeMs}`;
}
