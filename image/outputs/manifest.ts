// The manifest: every file of the root filesystem with its size and the package it came from,
// largest first, so that what makes an image big is seen at once.
import { stat } from "node:fs/promises";
import type { TreeEntry } from "../rootfs/tree.ts";

export interface ManifestRow {
  path: string;
  size: number;
  package: string;
}

export async function manifest(entries: TreeEntry[]): Promise<ManifestRow[]> {
  const rows: ManifestRow[] = [];
  for (const e of entries) {
    if (e.type !== "file") continue;
    const size = Buffer.isBuffer(e.content) ? e.content.length : (await stat(e.content.hostPath)).size;
    rows.push({ path: e.path, size, package: e.package ?? "configuration" });
  }
  return rows.sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
}

export function manifestText(rows: ManifestRow[]): string {
  const total = rows.reduce((s, r) => s + r.size, 0);
  return (
    [
      `# ${rows.length} files, ${total} bytes: size, path, package`,
      ...rows.map((r) => `${r.size}\t${r.path}\t${r.package}`),
    ].join("\n") + "\n"
  );
}
