// uImage packing: mkimage's own listing, the header read independently (CRCs, addresses, name),
// and the lzma payload decompressed back to the exact input by xz.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { uimage } from "../../image/kernel/uimage.ts";
import { ih, parseUImage, uimageHeaderSize } from "../lib/uimage.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-uimage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// stand-ins for a kernel binary and a DTB: any bytes do, what matters is that they come back whole
const kernel = join(dir, "kernel.bin");
const dtb = join(dir, "board.dtb");
writeFileSync(
  kernel,
  Buffer.concat([
    Buffer.from("kernel text "),
    Buffer.alloc(200_000, 7),
    Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251)),
  ]),
);
writeFileSync(dtb, Buffer.from([0xd0, 0x0d, 0xfe, 0xed, 1, 2, 3, 4]));
const payload = Buffer.concat([readFileSync(kernel), readFileSync(dtb)]);

describe("uImage", () => {
  it("packs an lzma payload at the load address and entry point, readable by mkimage -l", async () => {
    const out = join(dir, "lzma.uImage");
    await uimage({
      arch: "mips",
      compression: "lzma",
      loadAddress: 0x80000000,
      entryPoint: 0x80000400,
      name: "Limen test",
      payload: [kernel, dtb],
      out,
    });
    const listing = execFileSync("mkimage", ["-l", out], { encoding: "utf8" });
    expect(listing).toMatch(/Image Name:\s+Limen test/);
    expect(listing).toMatch(/Image Type:\s+MIPS Linux Kernel Image \(lzma compressed\)/);
    expect(listing).toMatch(/Load Address:\s+80000000/);
    expect(listing).toMatch(/Entry Point:\s+80000400/);

    const image = readFileSync(out);
    const h = parseUImage(image);
    expect(h).toMatchObject({
      loadAddress: 0x80000000,
      entryPoint: 0x80000400,
      os: ih.osLinux,
      arch: ih.archMips,
      type: ih.typeKernel,
      compression: ih.compLzma,
      name: "Limen test",
      headerCrcOk: true,
      dataCrcOk: true,
    });
    expect(image.length).toBe(uimageHeaderSize + h.dataSize);

    const lzma = image.subarray(uimageHeaderSize);
    // lzma-alone header: properties byte (lc=1, lp=2, pb=2), dictionary size, then the real size
    expect(lzma[0]).toBe((2 * 5 + 2) * 9 + 1);
    expect(lzma.readUInt32LE(1)).toBe(8 << 20);
    expect(lzma.readBigUInt64LE(5)).toBe(BigInt(payload.length));
    expect(h.dataSize).toBeLessThan(payload.length / 10);
    writeFileSync(join(dir, "p.lzma"), lzma);
    expect(execFileSync("xz", ["--format=lzma", "-d", "-c", join(dir, "p.lzma")]).equals(payload)).toBe(true);
  });

  it("stores an uncompressed payload as it is, and the same input gives the same bytes", async () => {
    const a = join(dir, "a.uImage");
    const b = join(dir, "b.uImage");
    for (const out of [a, b])
      await uimage({
        arch: "arm",
        compression: "none",
        loadAddress: 0x48080000,
        entryPoint: 0x48080000,
        name: "plain",
        payload: [kernel],
        out,
      });
    const image = readFileSync(a);
    expect(parseUImage(image)).toMatchObject({
      arch: ih.archArm,
      compression: ih.compNone,
      headerCrcOk: true,
      dataCrcOk: true,
    });
    expect(image.subarray(uimageHeaderSize).equals(readFileSync(kernel))).toBe(true);
    expect(image.equals(readFileSync(b))).toBe(true);
  });

  it("refuses a name the header cannot hold and an address beyond 32 bits", async () => {
    const base = {
      arch: "mips" as const,
      compression: "none" as const,
      loadAddress: 0x80000000,
      entryPoint: 0x80000000,
      payload: [kernel],
      out: join(dir, "bad.uImage"),
    };
    await expect(uimage({ ...base, name: "x".repeat(32) })).rejects.toThrow(/32 bytes; the header holds at most 31/);
    await expect(uimage({ ...base, name: "ok", loadAddress: 2 ** 32 })).rejects.toThrow(
      /load address 4294967296 is not a 32-bit address/,
    );
  });
});
