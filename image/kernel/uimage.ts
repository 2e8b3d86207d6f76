// Legacy U-Boot images ("uImage"): a 64-byte header (magic, CRCs, load address, entry point, name,
// compression) before the kernel, written by u-boot-tools' mkimage. With `lzma` the payload is
// compressed here first, in the lzma-alone (.lzma) format that U-Boot's bootm decompresses; mkimage
// only records the compression in the header.
import { open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { ensureCommands } from "../lib/host-programs.ts";
import { run } from "../lib/run.ts";
import { hex } from "../lib/numbers.ts";

/** mkimage's -A names of the kernel architectures Limen boots with U-Boot. */
export type UImageArch = "mips" | "arm" | "arm64";

export interface UImageRequest {
  arch: UImageArch;
  compression: "none" | "lzma";
  /** Where U-Boot puts the (decompressed) kernel, and where it jumps. */
  loadAddress: number;
  entryPoint: number;
  /** The image name in the header (at most 31 bytes: U-Boot's IH_NMLEN is 32 with the NUL). */
  name: string;
  /** Files concatenated into the payload, in order: the kernel binary, then e.g. an appended DTB. */
  payload: string[];
  /** The uImage file to write. */
  out: string;
}

export const uimageHeaderSize = 64;
const maxNameBytes = 31;

/** Writes `r.out`: the uImage of the concatenated payload. */
export async function uimage(r: UImageRequest): Promise<void> {
  ensureCommands(["mkimage", "xz"]);
  if (r.payload.length === 0) throw new Error(`uImage ${r.out}: no payload files given`);
  if (Buffer.byteLength(r.name) > maxNameBytes)
    throw new Error(
      `uImage name "${r.name}" is ${Buffer.byteLength(r.name)} bytes; the header holds at most ${maxNameBytes}`,
    );
  for (const [what, v] of [
    ["load address", r.loadAddress],
    ["entry point", r.entryPoint],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new Error(`uImage ${r.out}: ${what} ${v} is not a 32-bit address`);
  }
  const payloadFile = `${r.out}.payload`;
  await writeFile(payloadFile, Buffer.concat(await Promise.all(r.payload.map((f) => readFile(f)))));
  try {
    await run(
      [
        "mkimage",
        "-A",
        r.arch,
        "-O",
        "linux",
        "-T",
        "kernel",
        "-C",
        r.compression,
        "-a",
        hex(r.loadAddress, 8),
        "-e",
        hex(r.entryPoint, 8),
        "-n",
        r.name,
        "-d",
        r.compression === "lzma" ? await lzmaAlone(payloadFile) : payloadFile,
        r.out,
      ],
      { env: { ...process.env, SOURCE_DATE_EPOCH: "0" } },
    ); // the header's time stamp: same payload, same image
  } finally {
    await rm(payloadFile, { force: true });
    await rm(`${payloadFile}.lzma`, { force: true });
  }
}

/**
 * Compresses `file` into `file`.lzma in the lzma-alone format. xz writes "size unknown" into the
 * header and ends the stream with an end marker; the real uncompressed size is then written into
 * the header's size field (bytes 5–12, little-endian) because boot loaders built on the old LZMA SDK
 * take the output length from there. lc=1, lp=2 suit 32-bit instruction words (a better ratio on
 * MIPS and ARM code) while keeping lc+lp at the default 3, which every decoder supports; the 8 MiB
 * dictionary is larger than any kernel Limen packs.
 */
export async function lzmaAlone(file: string): Promise<string> {
  ensureCommands(["xz"]);
  const size = (await stat(file)).size;
  await run([
    "xz",
    "--format=lzma",
    "--lzma1=preset=9,dict=8MiB,lc=1,lp=2,pb=2",
    "--threads=1",
    "--keep",
    "--force",
    file,
  ]);
  const out = `${file}.lzma`;
  const f = await open(out, "r+");
  try {
    const field = Buffer.alloc(8);
    field.writeBigUInt64LE(BigInt(size));
    await f.write(field, 0, 8, 5);
  } finally {
    await f.close();
  }
  return out;
}
