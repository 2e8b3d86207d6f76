// A reader for UBIFS images written by mkfs.ubifs, from the on-flash format (Linux's
// fs/ubifs/ubifs-media.h): every node starts with a common header (magic, CRC-32, sequence number,
// length, type), nodes are 8-byte aligned within a LEB, and a LEB's unused space is 0xff. Enough to
// check the superblock and master nodes and to find which files the tree holds and their sizes.
import { crc32 } from "node:zlib";
import { alignUp } from "../../image/lib/numbers.ts";

export const UBIFS_NODE_MAGIC = 0x06101831;
export const nodeTypes = {
  inode: 0,
  data: 1,
  dent: 2,
  xent: 3,
  trun: 4,
  pad: 5,
  sb: 6,
  mst: 7,
  ref: 8,
  idx: 9,
  cs: 10,
  orph: 11,
} as const;

export interface Node {
  lnum: number;
  offset: number;
  type: number;
  sqnum: bigint;
  len: number;
  body: Buffer;
}

/**
 * UBIFS's CRC: CRC-32 (IEEE) started at 0xffffffff and not inverted at the end, over the node after its magic and CRC
 * fields.
 */
export function ubifsCrc(node: Buffer): number {
  return ~crc32(node.subarray(8)) >>> 0;
}

/** Reads the node at `offset` of `leb`; null where the LEB's written part ends. Throws on a bad CRC. */
function readNode(leb: Buffer, lnum: number, offset: number): Node | null {
  if (offset + 24 > leb.length || leb.readUInt32LE(offset) !== UBIFS_NODE_MAGIC) return null;
  const len = leb.readUInt32LE(offset + 16);
  const body = leb.subarray(offset, offset + len);
  const crc = leb.readUInt32LE(offset + 4);
  if (ubifsCrc(body) !== crc)
    throw new Error(
      `LEB ${lnum} offset ${offset}: node CRC ${crc.toString(16)} does not match its contents (${ubifsCrc(body).toString(16)})`,
    );
  return { lnum, offset, type: leb[offset + 20], sqnum: leb.readBigUInt64LE(offset + 8), len, body };
}

/** Every node of the image, LEB by LEB, checking each CRC. */
export function nodes(image: Buffer, lebSize: number): Node[] {
  const all: Node[] = [];
  for (let lnum = 0; lnum * lebSize < image.length; lnum++) {
    const leb = image.subarray(lnum * lebSize, (lnum + 1) * lebSize);
    for (let offset = 0; ;) {
      const n = readNode(leb, lnum, offset);
      if (!n) break;
      all.push(n);
      // a padding node covers the rest of a min-I/O unit: its pad_len follows the header
      const next = n.type === nodeTypes.pad ? offset + n.len + n.body.readUInt32LE(24) : offset + n.len;
      offset = alignUp(next, 8);
    }
  }
  return all;
}

export interface Superblock {
  keyHash: number;
  minIOSize: number;
  lebSize: number;
  lebCount: number;
  maxLebCount: number;
  logLebs: number;
  lptLebs: number;
  fmtVersion: number;
  defaultCompr: number;
}

export function superblock(n: Node): Superblock {
  if (n.type !== nodeTypes.sb) throw new Error(`node type ${n.type} is not a superblock`);
  const b = n.body;
  return {
    keyHash: b[26],
    minIOSize: b.readUInt32LE(32),
    lebSize: b.readUInt32LE(36),
    lebCount: b.readUInt32LE(40),
    maxLebCount: b.readUInt32LE(44),
    logLebs: b.readUInt32LE(56),
    lptLebs: b.readUInt32LE(60),
    fmtVersion: b.readUInt32LE(80),
    defaultCompr: b.readUInt16LE(84),
  };
}

export interface Master {
  highestInum: bigint;
  logLnum: number;
  rootLnum: number;
  rootOffs: number;
  lebCount: number;
}

export function master(n: Node): Master {
  if (n.type !== nodeTypes.mst) throw new Error(`node type ${n.type} is not a master node`);
  const b = n.body;
  return {
    highestInum: b.readBigUInt64LE(24),
    logLnum: b.readUInt32LE(44),
    rootLnum: b.readUInt32LE(48),
    rootOffs: b.readUInt32LE(52),
    lebCount: b.readUInt32LE(164),
  };
}

/** Directory entries: name, the parent's inode number (from the key) and the entry's inode number. */
export function dentries(all: Node[]): { name: string; parent: number; inum: number }[] {
  return all
    .filter((n) => n.type === nodeTypes.dent)
    .map((n) => ({
      parent: n.body.readUInt32LE(24),
      inum: Number(n.body.readBigUInt64LE(40)),
      name: n.body.subarray(56, 56 + n.body.readUInt16LE(50)).toString(),
    }));
}

/** Inode sizes and modes by inode number (the key's first word). */
export function inodes(all: Node[]): Map<number, { size: number; mode: number; uid: number; gid: number }> {
  const m = new Map<number, { size: number; mode: number; uid: number; gid: number }>();
  // UBIFS_INO_NODE_SZ: a full inode node is at least 160 bytes
  for (const n of all.filter((x) => x.type === nodeTypes.inode && x.lnum > 0 && x.len >= 160)) {
    // ubifs_ino_node: key (24), creat_sqnum (40), size (48), times (56-91), nlink (92), uid (96), gid (100), mode (104)
    m.set(n.body.readUInt32LE(24), {
      size: Number(n.body.readBigUInt64LE(48)),
      uid: n.body.readUInt32LE(96),
      gid: n.body.readUInt32LE(100),
      mode: n.body.readUInt32LE(104),
    });
  }
  return m;
}

/** The inode number of an absolute path, walking the directory entries from the root (inode 1). */
export function lookup(all: Node[], path: string): number | undefined {
  const entries = dentries(all);
  let inum: number | undefined = 1;
  for (const part of path.split("/").filter(Boolean)) {
    inum = entries.find((e) => e.parent === inum && e.name === part)?.inum;
    if (inum === undefined) return undefined;
  }
  return inum;
}
