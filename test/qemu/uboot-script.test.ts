// A flash.scr-style script written by writeUbootScript, run by U-Boot itself under QEMU: fetched
// over TFTP and run with `source`, its commands fetch a firmware file and copy, compare and
// checksum it the way flash.scr writes it to flash, with RAM standing in for the flash (QEMU's
// CFI flash emulation does not take U-Boot's buffered writes). Every line must be accepted and
// do its work; the firmware's CRC as U-Boot computes it must be the host's.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { writeUbootScript } from "../../image/outputs/uboot-script.ts";
import { ubootBoards, UbootVm, userNet } from "../lib/uboot.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-uboot-source-"));
let vm: UbootVm | undefined;
afterAll(async () => {
  await vm?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a U-Boot script under U-Boot", { timeout: 600_000 }, () => {
  it("is taken by source, line by line, quotes and variables included", async () => {
    const firmware = randomBytes(300_000);
    writeFileSync(join(dir, "firmware.bin"), firmware);
    const flash = "0x44000000";
    await writeUbootScript(dir, "flash", "aarch64", [
      `setenv serverip ${userNet.serverip}`,
      `setenv ipaddr ${userNet.ipaddr}`,
      "setenv loadaddr 0x41000000",
      "tftpboot ${loadaddr} firmware.bin",
      `cp.b \${loadaddr} ${flash} \${filesize}`,
      `cmp.b \${loadaddr} ${flash} \${filesize}`,
      `crc32 ${flash} \${filesize}`,
      'setenv note "size ${filesize}"; echo \'limen: $note stays,\' "$note; done"',
    ]);
    vm = new UbootVm(ubootBoards["qemu-aarch64"], dir);
    await vm.start();
    await vm.prompt();
    await vm.uboot(`setenv serverip ${userNet.serverip}; setenv ipaddr ${userNet.ipaddr}`);
    expect(await vm.uboot("tftpboot ${scriptaddr} flash.scr")).toMatch(/Bytes transferred = \d+/);
    const ran = await vm.uboot("source ${scriptaddr}");
    expect(ran).toMatch(/## Executing script at/);
    expect(ran).toMatch(new RegExp(`Bytes transferred = ${firmware.length} `));
    expect(ran).toMatch(new RegExp(`Total of ${firmware.length} byte\\(s\\) were the same`));
    expect(ran).toMatch(
      new RegExp(
        `crc32 for 44000000 \\.\\.\\. ${(0x44000000 + firmware.length - 1).toString(16)} ==> ${crc32(firmware).toString(16).padStart(8, "0")}`,
      ),
    );
    // single quotes keep $note as it is, double quotes expand it
    expect(ran).toContain(`limen: $note stays, size ${firmware.length.toString(16)}; done`);
    expect(ran).not.toMatch(/Unknown command|Usage:|syntax error/);
  });
});
