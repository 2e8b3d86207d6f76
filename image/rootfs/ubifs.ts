// UBIFS root filesystems with mkfs.ubifs (mtd-utils), for the flash geometry of a device: the tree
// is staged in a folder (contents and symlinks), and owners, modes and device nodes come from a
// device table. Files are compressed with LZO, which U-Boot's ubifsload reads. mkfs.ubifs gives
// every image a random UUID: it is replaced by one derived from the contents, so the same tree
// gives the same bytes.
import { createHash } from "node:crypto";
import { copyFile, lstat, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { ensureCommands } from "../lib/host-programs.ts";
import { cachedDir, hashOf } from "../lib/cache.ts";
import { CommandError, run } from "../lib/run.ts";
import { stageTree } from "./stage.ts";
import { treeKey, type TreeEntry } from "./tree.ts";

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

export const ubifsTools = ["mkfs.ubifs"] as const;

/** Writes the image to `output`, reusing an identical earlier one from the cache. */
export async function ubifs(entries: TreeEntry[], output: string, geometry: UbiGeometry): Promise<void> {
  ensureCommands(ubifsTools);
  const key = hashOf(treeKey(entries), JSON.stringify(geometry));
  const dir = await cachedDir("ubifs", key, async (d) => {
    await makeUbifs(entries, join(d, "image"), geometry);
    await setUuid(join(d, "image"), createHash("sha256").update(`ubifs ${key}`).digest().subarray(0, 16));
  });
  await copyFile(join(dir, "image"), output);
}

/** The superblock node, the image's first (Linux's fs/ubifs/ubifs-media.h): its UUID field and length. */
const superblockUuid = 108;
const nodeLength = 16;

/**
 * Writes `seed` into the superblock as its UUID (RFC 9562 version 8: made by its own rule) and
 * the node's CRC again: CRC-32 started at 0xffffffff, not inverted, over the node after its CRC.
 */
async function setUuid(image: string, seed: Buffer): Promise<void> {
  const bytes = await readFile(image);
  const length = bytes.readUInt32LE(nodeLength);
  const uuid = Buffer.from(seed);
  uuid[6] = (uuid[6] & 0x0f) | 0x80;
  uuid[8] = (uuid[8] & 0x3f) | 0x80;
  uuid.copy(bytes, superblockUuid);
  bytes.writeUInt32LE(~crc32(bytes.subarray(8, length)) >>> 0, 4);
  await writeFile(image, bytes);
}

async function makeUbifs(entries: TreeEntry[], output: string, g: UbiGeometry): Promise<void> {
  const staging = await mkdtemp(join(tmpdir(), "limen-ubifs-"));
  const root = join(staging, "root");
  try {
    const bad = entries.find((e) => /\s/.test(e.path));
    if (bad)
      throw new Error(`root filesystem: "${bad.path}" holds white space, which a mkfs.ubifs device table cannot name`);
    // device table columns: name type mode uid gid major minor start inc count; symlinks are
    // beyond a device table, and stay owned by whoever builds
    const rows = await stageTree(entries, root);
    const table = rows
      .filter((r) => r.type !== "l")
      .map(
        (r) =>
          `${r.path} ${r.type} ${r.mode.toString(8)} ${r.uid} ${r.gid} ${r.device ? r.device.join(" ") : "- -"} - - -`,
      );
    const tableFile = join(staging, "devtable");
    await writeFile(tableFile, table.join("\n") + "\n");
    const command = [
      "mkfs.ubifs",
      "--root",
      root,
      "--devtable",
      tableFile,
      "--output",
      output,
      "--min-io-size",
      String(g.minIOSize),
      "--leb-size",
      String(g.logicalEraseBlockSize),
      "--max-leb-cnt",
      String(g.maxLEBcount),
      "--compr",
      "lzo",
    ];
    try {
      await run(command);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      const bytes = (
        await Promise.all(rows.map(async (r) => (r.type === "f" ? lstat(join(root, r.path)).then((s) => s.size) : 0)))
      ).reduce((a, b) => a + b, 0);
      throw new Error(
        `UBIFS root filesystem: mkfs.ubifs could not lay out the tree (${bytes} bytes of files, ${rows.length} entries in all) in at most ${g.maxLEBcount} LEBs of ${g.logicalEraseBlockSize} bytes ` +
          `(hardware.ubi.maxLEBcount, ${g.maxLEBcount * g.logicalEraseBlockSize} bytes): ${e.output.trim()}`,
        { cause: e },
      );
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
