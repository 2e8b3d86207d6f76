// The tftpboot output booted the way a router on the bench is: Debian's U-Boot for the QEMU board
// fetches boot.scr from QEMU's built-in TFTP server and runs it; the script fetches the kernel and
// the root image, patches the board's device tree, and the kernel mounts the root from RAM
// (phram, mtdblock) and comes up to a login and the default services.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { ubootBoards, UbootVm, userNet } from "../lib/uboot.ts";

const out = mkdtempSync(join(tmpdir(), "limen-tftpboot-"));
let vm: UbootVm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

const devices = Object.keys(ubootBoards) as (keyof typeof ubootBoards)[];
// a compressed root only where the board's U-Boot has lzmadec to unpack it
const cases = devices.flatMap((device) => [
  { device, root: "rootfs", compressRoot: false },
  ...(ubootBoards[device].lzmadec ? [{ device, root: "rootfs.lzma", compressRoot: true }] : []),
]);

// the first run builds the device's kernel from source
describe.each(cases)(
  "$device booted by U-Boot over TFTP, root image $root",
  { timeout: 3_600_000 },
  ({ device, root, compressRoot }) => {
    it("runs boot.scr, boots from RAM to a login and brings up every default service", async () => {
      const result = join(out, `${device}-${root}`);
      process.env.LIMEN_TEST_COMPRESS_ROOT = compressRoot ? "1" : "0";
      const { system } = await buildImage({
        device,
        config: "test/qemu/fixtures/tftp-router.ts",
        output: "tftpboot",
        out: result,
        progress: () => {},
      });
      delete process.env.LIMEN_TEST_COMPRESS_ROOT;
      expect(system.boot.tftp.compressRoot).toBe(compressRoot);
      const script = readFileSync(join(result, "boot.txt"), "utf8");
      expect(script).toMatch(/^tftpboot 0x[0-9a-f]+ kernel$/m);
      expect(script).toMatch(new RegExp(`^tftpboot 0x[0-9a-f]+ ${root.replace(".", "\\.")}$`, "m"));
      expect(/^lzmadec /m.test(script)).toBe(compressRoot);

      const board = ubootBoards[device];
      vm = new UbootVm(board, result);
      await vm.start();
      await vm.prompt();
      const from = vm.console.length;
      vm.send(
        `setenv serverip ${userNet.serverip}; setenv ipaddr ${userNet.ipaddr}; tftpboot ${board.scriptAddress} boot.scr; source ${board.scriptAddress}\n`,
      );
      // U-Boot's last words before the kernel's: ARM's "Starting kernel", MIPS's "Loading Kernel Image"
      const started = await vm.waitFor(/Starting kernel|Loading Kernel Image/, 300_000, from);
      const ran = vm.console.slice(from, from + started.index!);
      expect(ran).toMatch(/## Executing script at/);
      expect(ran).toMatch(/Bytes transferred = \d+/);
      // no command of the script was refused
      expect(ran).not.toMatch(/Unknown command|Usage:|libfdt|Aborting|ERROR/);

      await vm.login("ramboot", "root", "secret");
      const up = await vm.servicesUp(system.defaultServices);
      expect(up).toEqual(expect.arrayContaining(system.defaultServices));
      // the root is the image boot.scr left in RAM: phram's MTD device "rootfs", mounted through mtdblock
      expect(String(await vm.run("cat /proc/mtd"))).toMatch(/^mtd0: [0-9a-f]+ [0-9a-f]+ "rootfs"$/m);
      expect(String(await vm.run("grep ' / ' /proc/mounts"))).toMatch(/^\/dev\/(root|mtdblock0) \/ squashfs ro/m);
      expect((await vm.run("cat /proc/1/comm")).trim()).toBe("s6-svscan");
    });
  },
);
