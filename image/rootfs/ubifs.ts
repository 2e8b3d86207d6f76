// UBIFS root filesystems with mkfs.ubifs (mtd-utils), for the flash geometry of a device: the tree
// is staged in a folder (contents and symlinks), and owners, modes and device nodes come from a
// device table. Files are compressed with LZO, which U-Boot's ubifsload reads.
import { chmod, copyFile, lstat, lutimes, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureCommands } from "../../runtime/build/host-tools.ts";
import { cachedDir, hashOf } from "../lib/cache.ts";
import { CommandError, run } from "../lib/run.ts";
import { normalizeTree, treeKey, type TreeEntry } from "./tree.ts";

/** The flash geometry UBIFS is laid out for (the device's hardware.ubi options). */
export interface UbiGeometry {
  /** Smallest write unit: the NAND page. */
  minIOSize: number;
  physicalEraseBlockSize: number;
  /** What UBI leaves of an erase block for data after its headers. */
  logicalEraseBlockSize: number;
  /** The most LEBs the filesystem may ever grow to. */
  maxLEBcount: number;
}

export const ubifsTools: [string, string][] = [["mkfs.ubifs", "mtd-utils"]];

/** Writes the image to `output`, reusing an identical earlier one from the cache. */
export async function ubifs(entries: TreeEntry[], output: string, geometry: UbiGeometry): Promise<void> {
  ensureCommands(ubifsTools);
  const dir = await cachedDir("ubifs", hashOf(treeKey(entries), JSON.stringify(geometry)), (d) => makeUbifs(entries, join(d, "image"), geometry));
  await copyFile(join(dir, "image"), output);
}

async function makeUbifs(entries: TreeEntry[], output: string, g: UbiGeometry): Promise<void> {
  const staging = await mkdtemp(join(tmpdir(), "limen-ubifs-"));
  const root = join(staging, "root");
  try {
    const table: string[] = [];
    const tree = normalizeTree(entries);
    await mkdir(root, { mode: 0o755 });
    for (const e of tree) {
      if (/\s/.test(e.path)) throw new Error(`root filesystem: "${e.path}" holds white space, which a mkfs.ubifs device table cannot name`);
      const host = join(root, e.path);
      // device table columns: name type mode uid gid major minor start inc count
      switch (e.type) {
        case "dir":
          await mkdir(host, { recursive: true });
          table.push(`${e.path} d ${e.mode.toString(8)} ${e.uid} ${e.gid} - - - - -`);
          break;
        case "file":
          if (Buffer.isBuffer(e.content)) await writeFile(host, e.content);
          else await copyFile(e.content.hostPath, host);
          await chmod(host, e.mode & 0o7777);
          table.push(`${e.path} f ${e.mode.toString(8)} ${e.uid} ${e.gid} - - - - -`);
          break;
        case "symlink":
          // a device table cannot make or own symlinks: they are made here, owned by whoever builds
          await symlink(e.target, host);
          break;
        case "char":
        case "block":
          table.push(`${e.path} ${e.type === "char" ? "c" : "b"} ${e.mode.toString(8)} ${e.uid} ${e.gid} ${e.major} ${e.minor} - - -`);
          break;
      }
    }
    // every time stamp zero, deepest first so making a child does not touch its folder again
    for (const e of [...tree].reverse()) {
      if (e.type === "symlink") await lutimes(join(root, e.path), 0, 0);
      else if (e.type === "file" || e.type === "dir") await utimes(join(root, e.path), 0, 0);
    }
    await utimes(root, 0, 0);
    const tableFile = join(staging, "devtable");
    await writeFile(tableFile, table.join("\n") + "\n");
    const command = [
      "mkfs.ubifs", "--root", root, "--devtable", tableFile, "--output", output,
      "--min-io-size", String(g.minIOSize), "--leb-size", String(g.logicalEraseBlockSize), "--max-leb-cnt", String(g.maxLEBcount),
      "--compr", "lzo",
    ];
    try {
      await run(command);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      const bytes = (await Promise.all(tree.map((t) => (t.type === "file" ? lstat(join(root, t.path)).then((s) => s.size) : 0)))).reduce((a, b) => a + b, 0);
      throw new Error(
        `UBIFS root filesystem: mkfs.ubifs could not lay out the tree (${bytes} bytes of files, ${tree.length} entries in all) in at most ${g.maxLEBcount} LEBs of ${g.logicalEraseBlockSize} bytes ` +
          `(hardware.ubi.maxLEBcount, ${g.maxLEBcount * g.logicalEraseBlockSize} bytes): ${e.output.trim()}`,
      );
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
