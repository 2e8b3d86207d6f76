// The two NOR boards' facts agree with each other: each device's options (flash window, firmware
// partition, erase block, addresses, root device) against its device tree compiled by dtc with the
// kernel's SoC dtsi — checked without building a kernel.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { loadConfig, loadDevice } from "../../image/config/load.ts";
import { compileDtb } from "../../image/kernel/dtb.ts";
import { partitionsOf } from "../../image/outputs/mtdimage.ts";

const boards = [
  {
    device: "gl-mt300a",
    soc: "ralink,mt7620a-soc",
    firmwareEnd: 0xfd0000,
    flash: /flash@1c000000 \{\s*compatible = "mtd-rom";\s*reg = <0x1c000000 0x1000000>;/,
  },
  {
    device: "gl-mt300n-v2",
    soc: "ralink,mt7628a-soc",
    firmwareEnd: 0x1000000,
    flash: /spi@b00 \{[^}]*status = "okay";[\s\S]*flash@0 \{\s*compatible = "jedec,spi-nor";/,
  },
];

describe.each(boards)("$device", ({ device, soc, firmwareEnd, flash }) => {
  it("describes its flash in the device tree as its hardware options say", async () => {
    const system = compile(evaluate(await loadConfig("examples/hello-from-qemu.ts"), await loadDevice(device)));
    const h = system.hardware;
    expect(h.defaultOutput).toBe("mtdimage");
    expect(system.device).toMatchObject({ cpu: "mipsel", debianArch: "mipsel" });
    expect(system.emulator).toBeNull();
    expect(h).toMatchObject({ loadAddress: 0x80000000, entryPoint: 0x80000400, rootDevice: "/dev/mtdblock5" });
    // U-Boot sees the 16 MB flash at 0xbc000000; the firmware partition starts 0x50000 into it
    expect(h.flash).toEqual({ address: 0xbc050000, size: firmwareEnd - 0x50000, eraseBlockSize: 0x10000 });
    expect(system.kernel.config).toMatchObject({
      RALINK: "y",
      SOC_MT7620: "y",
      MIPS_RAW_APPENDED_DTB: "y",
      SQUASHFS: "y",
      MTD_BLOCK: "y",
    });
    expect(system.kernel.makeTargets).toEqual(["vmlinux.bin"]);

    const dtb = await compileDtb({ cpu: "mipsel", src: h.dts.src! });
    expect(await partitionsOf(dtb)).toEqual([
      { label: "u-boot", offset: 0, size: 0x30000 },
      { label: "u-boot-env", offset: 0x30000, size: 0x10000 },
      { label: "factory", offset: 0x40000, size: 0x10000 },
      { label: "firmware", offset: 0x50000, size: h.flash.size },
    ]);
    const dts = execFileSync("dtc", ["-I", "dtb", "-O", "dts", "-q", dtb], { encoding: "utf8" });
    expect(dts).toContain(`compatible = "glinet,${device}\\0${soc}";`);
    expect(dts).toMatch(/memory@0 \{\s*device_type = "memory";\s*reg = <0x00 0x8000000>;/);
    expect(dts).toMatch(flash);
  });
});
