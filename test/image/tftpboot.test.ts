// The tftpboot output's parts that need no kernel: the RAM layout, the device tree edits as U-Boot
// commands and as a patched .dtb read back by dtc, and the option checks made before any work.
// Booting the whole output under U-Boot is test/qemu/uboot-tftpboot.test.ts.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { defineConfig } from "../../image/config/index.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { loadDevice } from "../../image/config/load.ts";
import {
  applyEdits,
  fdtCommands,
  phramArguments,
  phramRegion,
  ramBootEdits,
  ramLayout,
  tftpboot,
  tftpbootFacts,
} from "../../image/outputs/tftpboot.ts";
import { lineProblem } from "../../image/outputs/uboot-script.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-tftpboot-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 0x100000;

describe("RAM layout", () => {
  it("puts the root image after the kernel, the device tree after the root, each on a MiB boundary", () => {
    expect(ramLayout(0x40200000, 6_500_000, 1_703_936, 0, null)).toEqual({
      kernel: 0x40200000,
      root: 0x40900000,
      rootSize: 2 * MiB,
      dtb: 0x40b00000,
      compressedRoot: null,
      end: 0x40c00000,
    });
  });

  it("keeps free space in the phram region and fetches a compressed root above everything", () => {
    const l = ramLayout(0x80000000, MiB, 3 * MiB + 1, 4 * MiB, 1_000_000);
    expect(l.root).toBe(0x80100000);
    expect(l.rootSize).toBe(8 * MiB);
    expect(l.dtb).toBe(0x80900000);
    expect(l.compressedRoot).toBe(0x80a00000);
    expect(l.end).toBe(0x80a00000 + 1_000_000);
  });
});

describe("device tree edits", () => {
  const layout = ramLayout(0x40200000, 6 * MiB, 5 * MiB, 0, null);
  const line = "console=ttyAMA0 root=/dev/mtdblock0 rootfstype=squashfs ro rootwait";

  it("as U-Boot fdt commands, each one a line U-Boot's parser takes", () => {
    const commands = fdtCommands(ramBootEdits(phramRegion("aarch64", layout), 2, "bootargs", line, true));
    expect(commands).toEqual([
      "fdt mknode / reserved-memory",
      'fdt set /reserved-memory "#address-cells" <0x2>',
      'fdt set /reserved-memory "#size-cells" <0x2>',
      'fdt set /reserved-memory "ranges"',
      "fdt mknode /reserved-memory phram-rootfs@40800000",
      'fdt set /reserved-memory/phram-rootfs@40800000 "compatible" "phram"',
      'fdt set /reserved-memory/phram-rootfs@40800000 "label" "rootfs"',
      'fdt set /reserved-memory/phram-rootfs@40800000 "reg" <0x0 0x40800000 0x0 0x500000>',
      `fdt set /chosen "bootargs" "${line}"`,
    ]);
    for (const c of commands) expect([c, lineProblem(c)]).toEqual([c, null]);
  });

  it("applied to a compiled device tree: dtc reads back the phram region and the command line", async () => {
    const dts = join(dir, "board.dts");
    writeFileSync(
      dts,
      '/dts-v1/;\n/ {\n #address-cells = <1>;\n #size-cells = <1>;\n chosen { };\n memory@0 { device_type = "memory"; reg = <0x0 0x4000000>; };\n};\n',
    );
    const dtb = join(dir, "board.dtb");
    execFileSync("dtc", ["-I", "dts", "-O", "dtb", "-o", dtb, dts]);
    const mips = ramLayout(0x80800000, 3 * MiB, 6 * MiB, 0, null);
    await applyEdits(dtb, ramBootEdits(phramRegion("mipsel", mips), 1, "bootargs-override", line, true));
    const get = (node: string, prop: string, type = "s") =>
      execFileSync("fdtget", ["-t", type, dtb, node, prop], { encoding: "utf8" }).trim();
    expect([
      get("/reserved-memory", "#address-cells", "u"),
      get("/reserved-memory", "#size-cells", "u"),
      get("/reserved-memory", "ranges", "bx"),
    ]).toEqual(["1", "1", ""]);
    // at its physical address: U-Boot's 0x80b00000 is kseg0's window onto RAM at 0xb00000
    const node = "/reserved-memory/phram-rootfs@b00000";
    expect([get(node, "compatible"), get(node, "label"), get(node, "reg", "x")]).toEqual([
      "phram",
      "rootfs",
      "b00000 600000",
    ]);
    expect(get("/chosen", "bootargs-override")).toBe(line);
    // and dtc, the reference reader, takes the result without a warning
    const check = spawnSync("dtc", ["-I", "dtb", "-O", "dts", "-o", "/dev/null", dtb], { encoding: "utf8" });
    expect([check.status, check.stderr]).toEqual([0, ""]);
  });
});

describe("kernel command line, for a kernel that reads only its own device tree", () => {
  it("reserves the region at its physical address and names it rootfs", () => {
    const region = phramRegion("mipsel", ramLayout(0x84000000, 6 * MiB, 5 * MiB, 0, null));
    expect(region).toEqual({ start: 0x4600000, size: 5 * MiB });
    expect(phramArguments(region)).toEqual(["memmap=0x500000$0x4600000", "phram.phram=rootfs,0x4600000,0x500000"]);
    // ARM U-Boot addresses RAM physically: nothing to translate
    expect(phramRegion("armv7", ramLayout(0x84000000, 6 * MiB, 5 * MiB, 0, null)).start).toBe(0x84600000);
  });
});

describe("tftpboot options", () => {
  const system = async (tftp: Record<string, unknown>) =>
    compile(
      evaluate(
        defineConfig(() => ({ boot: { tftp } })),
        await loadDevice("qemu-aarch64"),
      ),
    );

  it("are checked before anything is built or written", async () => {
    const out = mkdtempSync(join(dir, "out-"));
    await expect(tftpboot(await system({}), [], out)).rejects.toThrow(
      /^tftpboot for qemu-aarch64:\n {2}set boot\.tftp\.serverip and boot\.tftp\.ipaddr \(/,
    );
    await expect(tftpboot(await system({ serverip: "10.0.0.1", ipaddr: "router" }), [], out)).rejects.toThrow(
      /boot\.tftp\.ipaddr "router" is not an IPv4 address/,
    );
    expect(readdirSync(out)).toEqual([]);
  });

  it("name every problem at once", async () => {
    const s = await system({ ipaddr: "router", appendDTB: true });
    const wrong = {
      ...s,
      rootfsType: "ubifs" as const,
      boot: {
        ...s.boot,
        commandLine: [...s.boot.commandLine, "x=$y"],
        tftp: { ...s.boot.tftp, kernelFormat: "uimage" as const },
      },
      hardware: { ...s.hardware, entryPoint: undefined, loadAddress: undefined },
    };
    const message = (() => {
      try {
        tftpbootFacts(wrong);
        return "";
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message.split("\n")).toEqual([
      "tftpboot for qemu-aarch64:",
      '  root filesystem type "ubifs" is not supported yet (squashfs is)',
      expect.stringMatching(/^ {2}set boot\.tftp\.serverip \(/),
      '  boot.tftp.ipaddr "router" is not an IPv4 address',
      expect.stringMatching(/^ {2}boot\.commandLine holds \$, which boot\.scr cannot pass/),
      "  boot.tftp.appendDTB needs the device's own device tree (hardware.dts.src), and qemu-aarch64 has none",
      "  boot.tftp.appendDTB: arm64 kernels do not read a device tree appended to them",
      "  a uImage kernel needs hardware.loadAddress and hardware.entryPoint, which qemu-aarch64 does not set",
    ]);
  });

  it("refuse a command line U-Boot cannot carry in a string", async () => {
    const s = await system({ serverip: "10.0.0.1", ipaddr: "10.0.0.8" });
    s.boot.commandLine.push('note="x"');
    await expect(tftpboot(s, [], dir)).rejects.toThrow(/boot\.commandLine holds "/);
  });
});
