// A board under QEMU started by Debian's U-Boot (u-boot-qemu) instead of a kernel: QEMU's user-mode
// network (loopback only, no host ports) serves a folder over TFTP at 10.0.2.2, as a TFTP server
// on the bench serves a real router's U-Boot. Spoken to at U-Boot's prompt, then at the guest's.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureCommands } from "../../image/lib/host-programs.ts";
import { backgroundArgs, Vm } from "../../image/qemu/vm.ts";

export interface UbootBoard {
  /** QEMU system emulator and board arguments. */
  qemu: string[];
  /** U-Boot's build for the board in u-boot-qemu. */
  firmware: string;
  /** The NIC U-Boot has a driver for. */
  nic: string;
  /**
   * QEMU's Malta swaps the 32-bit words of a -bios image for a little-endian CPU (YAMON is built bi-endian): U-Boot's
   * are swapped back first.
   */
  swapWords: boolean;
  /** U-Boot's prompt, as its build sets it. */
  prompt: string;
  /** Where the test fetches boot.scr: clear of everything boot.scr loads and of U-Boot at the top of RAM. */
  scriptAddress: string;
  /** Whether this U-Boot has the lzmadec command a compressed root image needs. */
  lzmadec: boolean;
}

export const ubootBoards = {
  "qemu-aarch64": {
    qemu: ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a53", "-m", "256"],
    firmware: "/usr/lib/u-boot/qemu_arm64/u-boot.bin",
    nic: "virtio-net-pci",
    swapWords: false,
    prompt: "=> ",
    scriptAddress: "${scriptaddr}",
    lzmadec: true,
  },
  "qemu-mipsel": {
    qemu: ["qemu-system-mipsel", "-M", "malta", "-cpu", "24Kf", "-m", "256", "-vga", "none"],
    firmware: "/usr/lib/u-boot/maltael/u-boot.bin",
    nic: "pcnet",
    swapWords: true,
    prompt: "maltael # ",
    scriptAddress: "0x8e000000",
    lzmadec: false,
  },
} satisfies Record<string, UbootBoard>;

/** QEMU user-mode network's fixed addresses: the host (TFTP server) and the guest. */
export const userNet = { serverip: "10.0.2.2", ipaddr: "10.0.2.15" };

export class UbootVm extends Vm {
  constructor(
    private readonly board: UbootBoard,
    private readonly tftpDir: string,
  ) {
    super(tftpDir);
  }

  protected override launch(dir: string): void {
    ensureCommands([this.board.qemu[0], "mkimage", this.board.firmware]);
    let firmware = this.board.firmware;
    if (this.board.swapWords) {
      const image = readFileSync(firmware);
      const padded = Buffer.alloc(Math.ceil(image.length / 4) * 4);
      image.copy(padded);
      firmware = join(dir, "u-boot-swapped.bin");
      writeFileSync(firmware, padded.swap32());
    }
    execFileSync(
      this.board.qemu[0],
      [
        ...this.board.qemu.slice(1),
        "-bios",
        firmware,
        "-netdev",
        `user,id=net,restrict=on,tftp=${this.tftpDir}`,
        "-device",
        `${this.board.nic},netdev=net,romfile=`,
        ...backgroundArgs(dir),
      ],
      { stdio: "pipe" },
    );
  }

  /** Stops U-Boot's autoboot countdown: a key press until its prompt shows. */
  async prompt(timeoutMs = 120_000): Promise<void> {
    for (
      const deadline = Date.now() + timeoutMs;
      !this.console.endsWith(this.board.prompt);
      await new Promise((r) => setTimeout(r, 250))
    ) {
      if (Date.now() > deadline)
        throw new Error(`no U-Boot prompt within ${timeoutMs} ms:\n${this.console.slice(-3000)}`);
      this.send("\n");
    }
  }

  /** Runs one command line at U-Boot's prompt and returns what it printed. */
  async uboot(line: string, timeoutMs = 120_000): Promise<string> {
    const from = this.console.length;
    this.send(`${line}\n`);
    const prompt = `\n${this.board.prompt}`;
    await this.waitFor(new RegExp(`${prompt.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`), timeoutMs, from);
    const text = this.console.slice(from).replace(/\r/g, "");
    return text.slice(text.indexOf("\n") + 1, text.lastIndexOf(prompt) + 1);
  }
}
