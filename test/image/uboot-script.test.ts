// U-Boot script files: the line checks, and the legacy script image read back field by field and
// by mkimage -l (the reference reader). That U-Boot itself runs them is test/qemu/uboot-tftpboot.test.ts.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { lineProblem, maxLineLength, scriptText, writeUbootScript } from "../../image/outputs/uboot-script.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-uboot-script-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("U-Boot script lines", () => {
  it("takes commands with quotes, escapes, variables and ;", () => {
    for (const l of [
      "setenv serverip 10.0.0.1",
      "tftpboot ${loadaddr} result/rootfs; echo loaded $filesize",
      `fdt set /chosen bootargs "console=ttyS0 root=/dev/mtdblock0 it's"`,
      "setenv x 'a \"b\" ${c}'",
      'echo "a \\" b"',
    ]) expect([l, lineProblem(l)]).toEqual([l, null]);
  });

  it("rejects what U-Boot's parser cannot take, saying why", () => {
    expect(lineProblem("")).toMatch(/empty.*repeats the previous command/);
    expect(lineProblem("   ")).toMatch(/empty/);
    expect(lineProblem("echo 'open")).toMatch(/unterminated single quote/);
    expect(lineProblem('fdt set /chosen bootargs "open')).toMatch(/unterminated double quote/);
    expect(lineProblem("echo ${loadaddr")).toMatch(/unterminated \$\{/);
    expect(lineProblem("setenv a b\\")).toMatch(/ends with a backslash/);
    expect(lineProblem("echo caf\u00e9")).toMatch(/character "é" at column 9/);
    expect(lineProblem("# flash it")).toMatch(/comment/);
    expect(lineProblem(`echo ${"x".repeat(maxLineLength)}`)).toMatch(new RegExp(`is ${maxLineLength + 5} characters long`));
  });

  it("names every bad line of a script with its number", () => {
    expect(() => scriptText("flash", ["setenv a 1", "echo 'x", "", "echo ok"])).toThrow(/U-Boot script flash:\n {2}line 2 \("echo 'x"\) has an unterminated single quote\n {2}line 3 \(""\) is empty/);
    expect(() => scriptText("boot", ["echo a\necho b"])).toThrow(/line 1 .* holds a line break/);
    expect(() => scriptText("boot", [])).toThrow(/no commands/);
  });
});

describe("U-Boot script files", () => {
  const lines = ["setenv serverip 10.0.0.1", 'echo "loading"', "tftpboot ${loadaddr} rootfs"];

  it("writes a legacy script image for source, and the text beside it", async () => {
    const files = await writeUbootScript(dir, "boot", "aarch64", lines);
    const text = lines.join("\n") + "\n";
    expect(readFileSync(files.text, "utf8")).toBe(text);
    const image = readFileSync(files.script);
    // the 64-byte legacy header: magic, header CRC (over the header with that field zero), data size and CRC
    expect(image.readUInt32BE(0)).toBe(0x27051956);
    const header = Buffer.from(image.subarray(0, 64));
    header.writeUInt32BE(0, 4);
    expect(crc32(header)).toBe(image.readUInt32BE(4));
    const data = image.subarray(64);
    expect(image.readUInt32BE(12)).toBe(data.length);
    expect(crc32(data)).toBe(image.readUInt32BE(24));
    expect([image[28], image[29], image[30], image[31]]).toEqual([5 /* linux */, 22 /* arm64 */, 6 /* script */, 0 /* none */]);
    // a script's data: the length of each part, a zero, then the parts (here the one text)
    expect(data.readUInt32BE(0)).toBe(text.length);
    expect(data.readUInt32BE(4)).toBe(0);
    expect(data.subarray(8).toString()).toBe(text);
    const listing = execFileSync("mkimage", ["-l", files.script], { encoding: "utf8" });
    expect(listing).toMatch(/Image Name:\s+boot\n/);
    expect(listing).toMatch(/Image Type:\s+AArch64 Linux Script \(uncompressed\)/);
  });

  it("is the same file for the same commands, and names MIPS for both byte orders", async () => {
    const a = await writeUbootScript(dir, "flash", "mipsel", lines);
    const first = readFileSync(a.script);
    await new Promise((r) => setTimeout(r, 1100));
    const b = await writeUbootScript(dir, "flash", "mips", lines);
    expect(readFileSync(b.script).equals(first)).toBe(true);
    expect(execFileSync("mkimage", ["-l", b.script], { encoding: "utf8" })).toMatch(/MIPS Linux Script/);
  });

  it("writes nothing for a bad script", async () => {
    await expect(writeUbootScript(dir, "bad", "aarch64", ["echo 'x"])).rejects.toThrow(/unterminated single quote/);
    expect(() => readFileSync(join(dir, "bad.scr"))).toThrow(/ENOENT/);
    expect(() => readFileSync(join(dir, "bad.txt"))).toThrow(/ENOENT/);
    await expect(writeUbootScript(dir, "Boot Script", "aarch64", lines)).rejects.toThrow(/must be lower-case/);
  });
});
