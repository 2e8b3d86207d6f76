// `npm run image -- --device belkin-rt3200` with the default configuration: the ubimage files, each
// checked against its format. The first run builds the MT7622 kernel from source (cached after).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { ensureCommands } from "../../image/lib/host-programs.ts";
import { inodes, lookup, master, nodes, nodeTypes, superblock } from "../image/ubimage-format.ts";
import { layout } from "../../runtime/src/layout.ts";

const onDevice = layout("");

const dir = mkdtempSync(join(tmpdir(), "limen-ubimage-build-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run image for belkin-rt3200", { timeout: 3_600_000 }, () => {
  it("makes the ubimage output: a UBIFS root holding the FIT kernel, and flash.scr", async () => {
    ensureCommands(["dumpimage", "dtc"]);
    const out = join(dir, "result");
    const { output, system } = await buildImage({
      device: "belkin-rt3200",
      config: "examples/hello-from-qemu.ts",
      out,
      progress: () => {},
    });
    expect(output).toBe("ubimage");
    expect(readdirSync(out).sort()).toEqual([
      ".limen-result",
      "board.dtb",
      "fit",
      "flash.scr",
      "flash.txt",
      "manifest",
      "rootfs",
    ]);

    // the UBIFS root: the device's geometry, both master nodes, the FIT at boot/fit, Limen as init
    const rootfs = readFileSync(join(out, "rootfs"));
    const all = nodes(rootfs, 126976);
    const sb = superblock(all[0]);
    expect(sb).toMatchObject({ minIOSize: 2048, lebSize: 126976, maxLebCount: 1024 });
    expect(rootfs.length).toBe(sb.lebCount * sb.lebSize);
    expect(all.filter((n) => n.type === nodeTypes.mst).map((n) => master(n).lebCount)).toEqual([
      sb.lebCount,
      sb.lebCount,
    ]);
    const ino = inodes(all);
    const fitSize = statSync(join(out, "fit")).size;
    expect(ino.get(lookup(all, "/boot/fit")!)).toMatchObject({ size: fitSize, mode: 0o100644 });
    expect(ino.get(lookup(all, "/sbin/init")!)?.mode).toBe(0o120777);
    expect(lookup(all, onDevice.database)).toBeDefined();

    // the FIT: the lzma kernel for arm64 at the board's load address, and the board's device tree
    const listing = execFileSync("mkimage", ["-l", join(out, "fit")], { encoding: "utf8" });
    expect(listing).toMatch(
      /Compression:\s+lzma compressed[\s\S]*Architecture: AArch64[\s\S]*Load Address: 0x44000000[\s\S]*Entry Point:\s+0x44000000/,
    );
    execFileSync("dumpimage", ["-T", "flat_dt", "-p", "0", "-o", join(dir, "kernel.lzma"), join(out, "fit")]);
    execFileSync("dumpimage", ["-T", "flat_dt", "-p", "1", "-o", join(dir, "fdt"), join(out, "fit")]);
    const image = execFileSync("xz", ["-d", "--format=lzma", "-c", join(dir, "kernel.lzma")], {
      maxBuffer: 256 * 2 ** 20,
    });
    // arm64 Image header: "ARM\x64" at byte 56
    expect(image.subarray(56, 60).toString("latin1")).toBe("ARM\x64");
    const tree = execFileSync("dtc", ["-I", "dtb", "-O", "dts", "-q", join(dir, "fdt")], { encoding: "utf8" });
    expect(tree).toContain(
      'bootargs = "console=ttyS0,115200 earlycon=uart8250,mmio32,0x11002000 ubi.mtd=ubi root=ubi0:liminix rootfstype=ubifs";',
    );
    expect(tree).toMatch(/label = "ubi";\s+reg = <0x300000 0x7d00000>;/);
    expect(readFileSync(join(dir, "fdt")).equals(readFileSync(join(out, "board.dtb")))).toBe(true);

    // flash.scr: a U-Boot script image of the commands in flash.txt
    expect(execFileSync("mkimage", ["-l", join(out, "flash.scr")], { encoding: "utf8" })).toMatch(
      /Image Type:\s+AArch64 Linux Script/,
    );
    expect(readFileSync(join(out, "flash.txt"), "utf8")).toBe(
      [
        "setenv loadaddr 0x4007ff28",
        "tftpboot ${loadaddr} rootfs",
        "ubi part ubi",
        "ubi write ${loadaddr} liminix ${filesize}",
        "",
      ].join("\n"),
    );
    expect(system.rootfsType).toBe("ubifs");
  });
});
