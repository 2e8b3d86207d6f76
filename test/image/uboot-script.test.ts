// U-Boot script files: the line checks, and the legacy script image read back field by field and
// by mkimage -l (the reference reader). That U-Boot itself runs them is test/qemu/uboot-tftpboot.test.ts.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ih, parseUImage } from "../lib/uimage.ts";
import { lineProblem, maxLineLength, scriptText, writeUbootScript } from "../../image/outputs/uboot-script.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-uboot-script-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("U-Boot script lines", () => {
  it("takes commands with quotes, escapes, variables and ;", () => {
    for (const l of [
      "setenv serverip 10.0.0.1",
      "tftpboot ${loadaddr} result/rootfs; echo loaded $filesize",
      `fdt set /chosen bootargs "console=ttyS0 root=/dev/mtdblock0"`,
      `fdt set /reserved-memory "#address-cells" <2>; echo a#b`,
      "setenv x 'a \"b\" ${c}'",
      'echo "a \\" b"',
    ])
      expect([l, lineProblem(l)]).toEqual([l, null]);
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
    expect(lineProblem("fdt set /reserved-memory #address-cells <2>")).toMatch(
      /# starting a word at column 26: hush ignores the rest/,
    );
    expect(lineProblem(`echo "it's"`)).toMatch(/' inside double quotes at column 9/);
    expect(lineProblem(`echo ${"x".repeat(maxLineLength)}`)).toMatch(
      new RegExp(`is ${maxLineLength + 5} characters long`),
    );
  });

  it("names every bad line of a script with its number", () => {
    expect(() => scriptText("flash", ["setenv a 1", "echo 'x", "", "echo ok"])).toThrow(
      /U-Boot script flash:\n {2}line 2 \("echo 'x"\) has an unterminated single quote\n {2}line 3 \(""\) is empty/,
    );
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
    const header = parseUImage(image);
    expect(header).toMatchObject({
      headerCrcOk: true,
      dataCrcOk: true,
      name: "boot",
      os: ih.osLinux,
      arch: ih.archArm64,
      type: 6 /* script */,
      compression: ih.compNone,
    });
    const data = image.subarray(64);
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
