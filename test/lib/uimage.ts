// Reading a legacy uImage header as U-Boot does (big-endian fields) and checking both its CRCs,
// independently of mkimage, which wrote it.
import { crc32 } from "node:zlib";

export const uimageMagic = 0x27051956;
export const uimageHeaderSize = 64;

export interface UImageHeader {
  dataSize: number;
  loadAddress: number;
  entryPoint: number;
  os: number;
  arch: number;
  type: number;
  compression: number;
  name: string;
  headerCrcOk: boolean;
  dataCrcOk: boolean;
}

/** The header at `offset` of `image`; throws when there is no uImage magic there. */
export function parseUImage(image: Buffer, offset = 0): UImageHeader {
  const h = image.subarray(offset, offset + uimageHeaderSize);
  if (h.length < uimageHeaderSize || h.readUInt32BE(0) !== uimageMagic)
    throw new Error(`no uImage magic at offset ${offset}`);
  const zeroed = Buffer.from(h);
  zeroed.writeUInt32BE(0, 4); // the header CRC is computed with its own field zero
  const dataSize = h.readUInt32BE(12);
  const data = image.subarray(offset + uimageHeaderSize, offset + uimageHeaderSize + dataSize);
  return {
    dataSize,
    loadAddress: h.readUInt32BE(16),
    entryPoint: h.readUInt32BE(20),
    os: h[28],
    arch: h[29],
    type: h[30],
    compression: h[31],
    name: h.subarray(32, 64).toString("latin1").replace(/\0.*$/s, ""),
    headerCrcOk: crc32(zeroed) === h.readUInt32BE(4),
    dataCrcOk: data.length === dataSize && crc32(data) === h.readUInt32BE(24),
  };
}

/** U-Boot's numbers for the header fields Limen sets (include/image.h). */
export const ih = { osLinux: 5, archMips: 5, archArm: 2, archArm64: 22, typeKernel: 2, compNone: 0, compLzma: 3 };
