// The mtdimage output for gl-mt300n-v2, checked piece by piece with the reference tools: the uImage
// at the start of firmware.bin (mkimage -l, its header and CRCs read independently, the lzma
// payload decompressed to the raw kernel with the DTB appended), the squashfs root at its erase
// block (unsquashfs -s), the device tree (dtc -I dtb: partitions, command line) and flash.scr's
// commands. A root that cannot fit fails with the sizes. The kernel is built from linux-source-6.1
// on first run (cached after).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import type { SystemDescription } from "../../image/config/compile.ts";
import type { MtdLayout } from "../../image/outputs/mtdimage.ts";
import { projectRoot } from "../../image/lib/cache.ts";
import { ensureCommands } from "../../image/lib/host-programs.ts";
import { ih, parseUImage, uimageHeaderSize } from "../lib/uimage.ts";
import { hex } from "../../image/lib/numbers.ts";

const buildTimeout = 60 * 60_000;
const device = "gl-mt300n-v2";
const dir = mkdtempSync(join(tmpdir(), "limen-mtdimage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const isErased = (b: Buffer) => b.every((x) => x === 0xff);

describe(`mtdimage for ${device}`, { timeout: buildTimeout }, () => {
  const out = join(dir, "result");
  let system: SystemDescription;
  let layout: MtdLayout;
  let image: Buffer;

  beforeAll(async () => {
    ensureCommands(["unsquashfs", "dtc"]);
    ({ system } = await buildImage({
      device,
      config: "examples/hello-from-qemu.ts",
      output: "mtdimage",
      out,
      progress: () => {},
    }));
    layout = JSON.parse(readFileSync(join(out, "layout.json"), "utf8")) as MtdLayout;
    image = readFileSync(join(out, "firmware.bin"));
  }, buildTimeout);

  it("fills the firmware partition from its start with erase-block aligned pieces", () => {
    const erase = 0x10000;
    expect(system.hardware.flash).toEqual({ address: 0xbc050000, size: 0xfb0000, eraseBlockSize: erase });
    expect(layout.firmware).toEqual({ offset: 0x50000, size: 0xfb0000, address: 0xbc050000 });
    expect(image.length).toBe(layout.imageSize);
    expect(image.length % erase).toBe(0);
    expect(image.length).toBeLessThanOrEqual(0xfb0000);
    expect(layout.free).toBe(0xfb0000 - image.length);
    expect(layout.kernel.offset).toBe(0x50000);
    expect(layout.kernel.padded % erase).toBe(0);
    expect(layout.rootfs.offset).toBe(0x50000 + layout.kernel.padded);
    expect(layout.kernel.padded + layout.rootfs.padded).toBe(image.length);
  });

  it("starts with an lzma uImage at the load address and entry point whose payload is the kernel with the board's DTB appended", () => {
    const h = parseUImage(image);
    expect(h).toMatchObject({
      loadAddress: 0x80000000,
      entryPoint: 0x80000400,
      os: ih.osLinux,
      arch: ih.archMips,
      type: ih.typeKernel,
      compression: ih.compLzma,
      headerCrcOk: true,
      dataCrcOk: true,
    });
    expect(uimageHeaderSize + h.dataSize).toBe(layout.kernel.size);
    expect(isErased(image.subarray(layout.kernel.size, layout.kernel.padded))).toBe(true);

    const kernelFile = join(dir, "kernel.uimage");
    writeFileSync(kernelFile, image.subarray(0, layout.kernel.size));
    const listing = execFileSync("mkimage", ["-l", kernelFile], { encoding: "utf8" });
    expect(listing).toMatch(/Image Type:\s+MIPS Linux Kernel Image \(lzma compressed\)/);
    expect(listing).toMatch(/Load Address:\s+80000000/);

    const lzmaFile = join(dir, "kernel.lzma");
    writeFileSync(lzmaFile, image.subarray(uimageHeaderSize, layout.kernel.size));
    const payload = execFileSync("xz", ["--format=lzma", "-d", "-c", lzmaFile], { maxBuffer: 64 << 20 });
    const dtb = readFileSync(join(out, "board.dtb"));
    // the DTB sits right after the raw kernel, where MIPS_RAW_APPENDED_DTB looks (flat tree magic, big-endian)
    expect(payload.subarray(payload.length - dtb.length).equals(dtb)).toBe(true);
    expect(dtb.readUInt32BE(0)).toBe(0xd00dfeed);
  });

  it("puts the squashfs root at the rootfs partition, readable by unsquashfs", () => {
    const start = layout.rootfs.offset - layout.firmware.offset;
    const root = image.subarray(start, start + layout.rootfs.size);
    expect(root.subarray(0, 4).toString("latin1")).toBe("hsqs");
    expect(isErased(image.subarray(start + layout.rootfs.size))).toBe(true);
    const rootFile = join(dir, "rootfs.squashfs");
    writeFileSync(rootFile, root);
    const superblock = execFileSync("unsquashfs", ["-s", rootFile], { encoding: "utf8" });
    expect(superblock).toMatch(/Compression xz/);
    expect(superblock).toMatch(/Block size 1048576/);
    // the filesystem's own size, within the file mksquashfs pads to 4 KiB
    const used = Number(/Filesystem size (\d+) bytes/.exec(superblock)![1]);
    expect(used).toBeLessThanOrEqual(layout.rootfs.size);
    expect(used).toBeGreaterThan(layout.rootfs.size - 4096);
    const listing = execFileSync("unsquashfs", ["-lls", rootFile], { encoding: "utf8", maxBuffer: 16 << 20 });
    expect(listing).toMatch(/squashfs-root\/sbin\/init -> \.\.\/bin\/limen/);
    expect(listing).toMatch(/squashfs-root\/etc\/limen\/services\.json/);
  });

  it("gives the kernel a device tree naming the rootfs partition it mounts", () => {
    const dts = execFileSync("dtc", ["-I", "dtb", "-O", "dts", "-q", join(out, "board.dtb")], { encoding: "utf8" });
    expect(dts).toContain(`compatible = "glinet,gl-mt300n-v2\\0ralink,mt7628a-soc";`);
    expect(dts).toMatch(/memory@0 \{\s*device_type = "memory";\s*reg = <0x00 0x8000000>;/);
    const labels = [...dts.matchAll(/label = "([^"]+)";/g)].map((m) => m[1]).filter((l) => !l.startsWith("green:"));
    expect(labels).toEqual(["u-boot", "u-boot-env", "factory", "firmware", "kernel", "rootfs"]);
    const reg = (label: string) =>
      new RegExp(`label = "${label}";\\s*reg = <(0x[0-9a-f]+) (0x[0-9a-f]+)>;`)
        .exec(dts)!
        .slice(1)
        .map((x) => parseInt(x, 16));
    expect(reg("kernel")).toEqual([0x50000, layout.kernel.padded]);
    expect(reg("rootfs")).toEqual([layout.rootfs.offset, 0x1000000 - layout.rootfs.offset]);
    // the sixth MTD device, as hardware.rootDevice says
    expect(system.hardware.rootDevice).toBe("/dev/mtdblock5");
    expect(dts).toContain(`bootargs = "${layout.commandLine}";`);
    expect(layout.commandLine).toMatch(/^console=ttyS0,115200 .*root=\/dev\/mtdblock5 rootfstype=squashfs ro$/);
  });

  it("writes flash.scr: fetch firmware.bin into RAM, erase exactly its size of the partition, copy, compare", () => {
    const size = hex(image.length);
    expect(readFileSync(join(out, "flash.txt"), "utf8")).toBe(
      [
        `tftpboot 0x81000000 firmware.bin`,
        `erase 0xbc050000 +${size}`,
        `cp.b 0x81000000 0xbc050000 ${size}`,
        `cmp.b 0x81000000 0xbc050000 ${size}`,
      ].join("\n") + "\n",
    );
    expect(execFileSync("mkimage", ["-l", join(out, "flash.scr")], { encoding: "utf8" })).toMatch(
      /Image Type:\s+MIPS Linux Script/,
    );
  });

  it("fails naming the sizes when the root and the kernel do not fit the partition together", async () => {
    // the same system (so the same kernel) with incompressible data that leaves the root under the
    // partition by half the kernel: only with the kernel does it overflow
    const fillerBytes = layout.firmware.size - layout.rootfs.padded - layout.kernel.padded / 2;
    const filler = join(dir, "filler.txt");
    writeFileSync(
      filler,
      randomBytes(fillerBytes)
        .toString("base64")
        .slice(0, Math.floor((fillerBytes * 8) / 6)),
    );
    const config = join(dir, "too-big.ts");
    writeFileSync(
      config,
      [
        `import { readFileSync } from "node:fs";`,
        `import { defineConfig } from ${JSON.stringify(join(projectRoot, "image/config/index.ts"))};`,
        `import hello from ${JSON.stringify(join(projectRoot, "examples/hello-from-qemu.ts"))};`,
        `export default defineConfig((env) => {`,
        `  const { imports, config } = hello.body(env);`,
        `  return { imports, ...config, filesystem: { "/srv/filler": { type: "file", content: readFileSync(${JSON.stringify(filler)}, "utf8") } } };`,
        `});`,
      ].join("\n"),
    );
    await expect(
      buildImage({ device, config, output: "mtdimage", out: join(dir, "too-big"), progress: () => {} }),
    ).rejects.toThrow(
      /mtdimage for gl-mt300n-v2: firmware\.bin does not fit the firmware partition: kernel \d+ bytes \(\d+ with erase-block padding\) \+ root filesystem \d+ bytes \(\d+ padded\) = \d+ bytes, partition 16449536 bytes at 0xbc050000 \(\d+ bytes too many\)/,
    );
  });

  it("fails before building anything more when the root alone does not fit", async () => {
    const config = join(dir, "root-too-big.ts");
    const filler = join(dir, "filler-big.txt");
    writeFileSync(filler, randomBytes(layout.firmware.size).toString("base64"));
    writeFileSync(
      config,
      [
        `import { readFileSync } from "node:fs";`,
        `import { defineConfig } from ${JSON.stringify(join(projectRoot, "image/config/index.ts"))};`,
        `export default defineConfig(() => ({ filesystem: { "/srv/filler": { type: "file", content: readFileSync(${JSON.stringify(filler)}, "utf8") } } }));`,
      ].join("\n"),
    );
    await expect(
      buildImage({ device, config, output: "mtdimage", out: join(dir, "root-too-big"), progress: () => {} }),
    ).rejects.toThrow(
      /firmware\.bin does not fit the firmware partition: root filesystem \d+ bytes \(\d+ padded\) = \d+ bytes, partition 16449536 bytes at 0xbc050000 \(\d+ bytes too many, before the kernel is even added\)/,
    );
  });
});
