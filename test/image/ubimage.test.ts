// The parts of the ubimage output, each checked against its format: UBIFS images read node by
// node (headers, CRCs, geometry, the files they hold), the belkin-rt3200 device tree decompiled by
// dtc, FIT images listed by mkimage and taken apart by dumpimage, and the facts and flash.scr
// commands the output derives from the device's options, including every refusal.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { loadConfig, loadDevice } from "../../image/config/load.ts";
import { compileDtb } from "../../image/kernel/dtb.ts";
import { fitImage } from "../../image/kernel/fit.ts";
import { checkVolumeFits, flashCommands, ubiCommandLine, ubimageFacts } from "../../image/outputs/ubimage.ts";
import { scriptText } from "../../image/outputs/uboot-script.ts";
import { debianKernel } from "../../image/qemu/kernel.ts";
import type { TreeEntry } from "../../image/rootfs/tree.ts";
import { ubifs, type UbiGeometry } from "../../image/rootfs/ubifs.ts";
import { inodes, lookup, master, nodes, nodeTypes, superblock } from "./ubimage-format.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-ubimage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const belkin: UbiGeometry = {
  minIOSize: 2048,
  physicalEraseBlockSize: 131072,
  logicalEraseBlockSize: 126976,
  maxLEBcount: 1024,
};
const dts = join(import.meta.dirname, "../../devices/belkin-rt3200/belkin-rt3200.dts");

async function belkinSystem(): Promise<SystemDescription> {
  return compile(evaluate(await loadConfig("examples/hello-from-qemu.ts"), await loadDevice("belkin-rt3200")));
}

describe("UBIFS writer", () => {
  const blob = Buffer.alloc(300_000, "limen");
  const tree: TreeEntry[] = [
    { type: "file", path: "/etc/shadow", mode: 0o600, uid: 0, gid: 42, content: Buffer.from("root:*:1::::::\n") },
    { type: "file", path: "/boot/fit", mode: 0o644, uid: 0, gid: 0, content: blob },
    { type: "symlink", path: "/sbin/init", target: "../bin/limen", uid: 0, gid: 0 },
    { type: "char", path: "/dev/console", mode: 0o600, uid: 0, gid: 0, major: 5, minor: 1 },
    { type: "dir", path: "/home/user", mode: 0o700, uid: 1000, gid: 1000 },
  ];

  it("lays the tree out for the flash geometry, with valid superblock and master nodes", async () => {
    const image = join(dir, "root.ubifs");
    await ubifs(tree, image, belkin);
    const bytes = readFileSync(image);
    const all = nodes(bytes, belkin.logicalEraseBlockSize); // checks every node's CRC
    // LEB 0: the superblock, the first node of the image
    expect(all[0].lnum).toBe(0);
    const sb = superblock(all[0]);
    expect(sb).toMatchObject({ minIOSize: 2048, lebSize: 126976, maxLebCount: 1024, fmtVersion: 4 });
    // the image is exactly the LEBs the filesystem uses
    expect(bytes.length).toBe(sb.lebCount * sb.lebSize);
    // LEBs 1 and 2: the two copies of the master node, which agree
    const masters = all.filter((n) => n.type === nodeTypes.mst);
    expect(masters.map((n) => n.lnum)).toEqual([1, 2]);
    const [m1, m2] = masters.map(master);
    expect(m1).toEqual(m2);
    expect(m1.lebCount).toBe(sb.lebCount);
    expect(m1.logLnum).toBe(3);
    expect(m1.rootLnum).toBeLessThan(sb.lebCount);
    // the index root the master names is an index node
    expect(all.find((n) => n.lnum === m1.rootLnum && n.offset === m1.rootOffs)?.type).toBe(nodeTypes.idx);
  });

  it("gives the same bytes for the same tree and geometry, its UUID derived from them", async () => {
    // each image made afresh, one after the other, in a cache of its own
    const made: Buffer[] = [];
    for (const n of ["a", "b"]) {
      const saved = process.env.LIMEN_CACHE;
      process.env.LIMEN_CACHE = join(dir, `cache-${n}`);
      try {
        await ubifs(tree, join(dir, `same-${n}.ubifs`), belkin);
      } finally {
        if (saved === undefined) delete process.env.LIMEN_CACHE;
        else process.env.LIMEN_CACHE = saved;
      }
      made.push(readFileSync(join(dir, `same-${n}.ubifs`)));
    }
    expect(made[0].equals(made[1])).toBe(true);
    const sb = nodes(made[0], belkin.logicalEraseBlockSize)[0]; // checks the CRC
    expect(sb.body.subarray(108, 124).toString("hex")).toMatch(/^[0-9a-f]{12}8[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  });

  it("holds every file with its owner, mode and size", async () => {
    const image = join(dir, "root.ubifs");
    await ubifs(tree, image, belkin);
    const all = nodes(readFileSync(image), belkin.logicalEraseBlockSize);
    const ino = inodes(all);
    const at = (path: string) => ino.get(lookup(all, path) ?? -1);
    expect(at("/etc/shadow")).toEqual({ size: 15, mode: 0o100600, uid: 0, gid: 42 });
    expect(at("/boot/fit")).toEqual({ size: blob.length, mode: 0o100644, uid: 0, gid: 0 });
    expect(at("/sbin/init")).toMatchObject({ size: "../bin/limen".length, mode: 0o120777 });
    expect(at("/dev/console")).toMatchObject({ mode: 0o020600, uid: 0, gid: 0 });
    expect(at("/home/user")).toMatchObject({ mode: 0o040700, uid: 1000, gid: 1000 });
  });

  it("fails naming the LEB limit when the tree is larger than maxLEBcount allows", async () => {
    const big: TreeEntry[] = [
      { type: "file", path: "/big", mode: 0o644, uid: 0, gid: 0, content: randomBytes(3_000_000) },
    ];
    await expect(ubifs(big, join(dir, "big.ubifs"), { ...belkin, maxLEBcount: 20 })).rejects.toThrow(
      /could not lay out the tree \(3000000 bytes of files, 1 entries in all\) in at most 20 LEBs of 126976 bytes/,
    );
  });
});

describe("belkin-rt3200 device tree", () => {
  it("compiles against the kernel's mt7622.dtsi with the board's memory, flash partitions, switch ports and LEDs", async () => {
    const dtb = await compileDtb({ cpu: "aarch64", src: dts });
    expect(readFileSync(dtb).readUInt32BE(0)).toBe(0xd00dfeed);
    const text = execFileSync("dtc", ["-I", "dtb", "-O", "dts", "-q", dtb], { encoding: "utf8" });
    expect(text).toMatch(/memory@40000000 \{[^}]*reg = <0x00 0x40000000 0x00 0x20000000>/);
    expect(text).toMatch(/compatible = "mediatek,mt7622-snand";/);
    for (const [label, reg] of [
      ["bl2", "0x00 0x80000"],
      ["fip", "0x80000 0x140000"],
      ["factory", "0x1c0000 0x100000"],
      ["ubi", "0x300000 0x7d00000"],
    ]) {
      expect(text).toMatch(new RegExp(`label = "${label}";\\s+reg = <${reg}>;`));
    }
    for (const port of ["lan1", "lan2", "lan3", "lan4", "wan", "cpu"]) expect(text).toContain(`label = "${port}";`);
    for (const led of ["blue:power", "orange:power", "blue:inet", "orange:inet"])
      expect(text).toContain(`label = "${led}";`);
    // fdtdump reads the blob independently of dtc
    expect(execFileSync("fdtdump", [dtb], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })).toContain(
      'compatible = "linksys,e8450-ubi", "linksys,e8450", "mediatek,mt7622"',
    );
  });

  it("names the file when a device tree source is missing or wrong", async () => {
    await expect(compileDtb({ cpu: "aarch64", src: join(dir, "absent.dts") })).rejects.toThrow(
      /absent\.dts does not exist \(hardware\.dts\.src\)/,
    );
    const broken = join(dir, "broken.dts");
    writeFileSync(broken, '/dts-v1/;\n#include "mediatek/mt7622.dtsi"\n&no_such_label { status = "okay"; };\n');
    await expect(compileDtb({ cpu: "aarch64", src: broken })).rejects.toThrow(
      /broken\.dts: dtc rejected it[\s\S]*no_such_label/,
    );
  });
});

describe("FIT image", { timeout: 300_000 }, () => {
  it("holds the kernel (lzma) and the device tree at the device's addresses, as mkimage lists them", async () => {
    const kernel = (await debianKernel((await loadDevice("qemu-aarch64")).emulator!)).image;
    const dtb = await compileDtb({ cpu: "aarch64", src: dts });
    const fit = join(dir, "fit");
    await fitImage({
      cpu: "aarch64",
      kernel,
      compression: "lzma",
      dtb,
      loadAddress: 0x44000000,
      entryPoint: 0x44000000,
      description: "Limen test",
      out: fit,
    });
    const listing = execFileSync("mkimage", ["-l", fit], { encoding: "utf8" });
    expect(listing).toMatch(/FIT description: Limen test/);
    expect(listing).toMatch(
      /Image 0 \(kernel\)[\s\S]*Type:\s+Kernel Image[\s\S]*Compression:\s+lzma compressed[\s\S]*Architecture: AArch64[\s\S]*OS:\s+Linux[\s\S]*Load Address: 0x44000000[\s\S]*Entry Point:\s+0x44000000[\s\S]*Hash algo:\s+crc32/,
    );
    expect(listing).toMatch(/Image 1 \(fdt\)[\s\S]*Type:\s+Flat Device Tree[\s\S]*Compression:\s+uncompressed/);
    expect(listing).toMatch(/Default Configuration: 'config-1'[\s\S]*Kernel:\s+kernel[\s\S]*FDT:\s+fdt/);
    // taken apart again: the device tree as it went in, the kernel after lzma decompression
    execFileSync("dumpimage", ["-T", "flat_dt", "-p", "0", "-o", join(dir, "k.lzma"), fit]);
    execFileSync("dumpimage", ["-T", "flat_dt", "-p", "1", "-o", join(dir, "fdt"), fit]);
    expect(readFileSync(join(dir, "fdt")).equals(readFileSync(dtb))).toBe(true);
    expect(
      execFileSync("xz", ["-d", "--format=lzma", "-c", join(dir, "k.lzma")], { maxBuffer: 256 * 2 ** 20 }).equals(
        readFileSync(kernel),
      ),
    ).toBe(true);
  });

  it("refuses addresses beyond 32 bits and descriptions an .its cannot hold", async () => {
    const args = {
      cpu: "aarch64" as const,
      kernel: dts,
      compression: "none" as const,
      dtb: dts,
      entryPoint: 0,
      out: join(dir, "x"),
    };
    await expect(fitImage({ ...args, loadAddress: 2 ** 33, description: "x" })).rejects.toThrow(
      /load address 8589934592 is not a 32-bit address/,
    );
    await expect(fitImage({ ...args, loadAddress: 0, description: 'say "hi"' })).rejects.toThrow(
      /cannot be written in an \.its source/,
    );
  });
});

describe("ubimage facts of belkin-rt3200", () => {
  it("reads the UBI geometry, the volume and what it can hold", async () => {
    const facts = ubimageFacts(await belkinSystem());
    expect(facts.geometry).toEqual(belkin);
    expect([facts.ubiDevice, facts.volume]).toEqual(["ubi0", "liminix"]);
    // 0x7d00000 / 128 KiB = 1000 erase blocks, less 4 for UBI and 20 for bad blocks
    expect(facts.capacityLebs).toBe(976);
    expect([facts.loadAddress, facts.entryPoint]).toEqual([0x44000000, 0x44000000]);
  });

  it("boots the kernel with the UBIFS volume as root", async () => {
    expect(ubiCommandLine(await belkinSystem())).toBe(
      "console=ttyS0,115200 earlycon=uart8250,mmio32,0x11002000 ubi.mtd=ubi root=ubi0:liminix rootfstype=ubifs",
    );
  });

  it("writes the manual's flashing steps as commands U-Boot's parser takes", async () => {
    const system = await belkinSystem();
    const withAddresses = {
      ...system,
      boot: { ...system.boot, tftp: { ...system.boot.tftp, serverip: "10.0.0.1", ipaddr: "10.0.0.8" } },
    };
    const lines = flashCommands(withAddresses, ubimageFacts(system));
    expect(lines).toEqual([
      "setenv serverip 10.0.0.1",
      "setenv ipaddr 10.0.0.8",
      "setenv loadaddr 0x4007ff28",
      "tftpboot ${loadaddr} rootfs",
      "ubi part ubi",
      "ubi write ${loadaddr} liminix ${filesize}",
    ]);
    expect(() => scriptText("flash", lines)).not.toThrow();
    // without addresses, U-Boot's environment keeps its own
    expect(flashCommands(system, ubimageFacts(system))[0]).toBe("setenv loadaddr 0x4007ff28");
  });

  it("fails with the sizes when the root filesystem does not fit the UBI partition", async () => {
    const system = await belkinSystem();
    // a 2 MiB partition: 16 erase blocks, 11 usable after UBI's 4 and one for bad blocks
    const small = ubimageFacts({
      ...system,
      hardware: { ...system.hardware, flash: { ...system.hardware.flash, size: 0x200000 } },
    });
    expect(small.capacityLebs).toBe(11);
    const image = join(dir, "full.ubifs");
    await ubifs(
      [{ type: "file", path: "/boot/fit", mode: 0o644, uid: 0, gid: 0, content: randomBytes(2_000_000) }],
      image,
      belkin,
    );
    const size = statSync(image).size;
    expect(() => checkVolumeFits(size, small)).toThrow(
      new RegExp(
        `root filesystem is ${size} bytes \\([\\d.]+ MiB, ${size / 126976} LEBs of 126976\\) but the volume ubi0:liminix can hold at most ${11 * 126976} bytes \\(1\\.3 MiB, 11 LEBs: the UBI partition \\(hardware\\.flash\\.size 2\\.0 MiB\\) has 16 erase blocks, 11 of them usable`,
      ),
    );
    expect(() => checkVolumeFits(size, ubimageFacts(system))).not.toThrow();
  });

  it("names every option that keeps a device from having a ubimage", async () => {
    const system = await belkinSystem();
    const wrong = {
      ...system,
      rootfsType: "squashfs" as const,
      hardware: {
        ...system.hardware,
        rootDevice: "/dev/mtdblock3",
        loadAddress: undefined,
        ubi: { ...system.hardware.ubi, minIOSize: undefined, maxLEBcount: undefined },
      },
    };
    const message = (() => {
      try {
        ubimageFacts(wrong);
        return "";
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).toMatch(/^ubimage for belkin-rt3200:/);
    for (const problem of [
      /rootfsType is "squashfs"/,
      /hardware\.loadAddress is not set/,
      /hardware\.rootDevice "\/dev\/mtdblock3" is not a UBI volume/,
      /hardware\.ubi\.minIOSize is not set/,
      /hardware\.ubi\.maxLEBcount is not set/,
    ]) {
      expect(message).toMatch(problem);
    }
    expect(() =>
      flashCommands(
        { ...system, boot: { ...system.boot, tftp: { ...system.boot.tftp, serverip: "tftp.example" } } },
        ubimageFacts(system),
      ),
    ).toThrow(/boot\.tftp\.serverip "tftp\.example" is not an IPv4 address/);
  });
});
