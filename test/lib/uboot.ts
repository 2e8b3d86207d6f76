// A board under QEMU started by Debian's U-Boot (u-boot-qemu) instead of a kernel: QEMU's user-mode
// network (loopback only, no host ports) serves a folder over TFTP at 10.0.2.2, as a TFTP server
// on the bench serves a real router's U-Boot. Spoken to at U-Boot's prompt, then at the guest's.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ensureCommands } from "../../runtime/build/host-tools.ts";
import { Vm } from "./vm.ts";

export interface UbootBoard {
  /** QEMU system emulator and board arguments. */
  qemu: string[];
  /** U-Boot's build for the board in u-boot-qemu. */
  firmware: string;
  /** The NIC U-Boot has a driver for. */
  nic: string;
}

export const ubootBoards = {
  "qemu-aarch64": { qemu: ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a53", "-m", "256"], firmware: "/usr/lib/u-boot/qemu_arm64/u-boot.bin", nic: "virtio-net-pci" },
} satisfies Record<string, UbootBoard>;

/** QEMU user-mode network's fixed addresses: the host (TFTP server) and the guest. */
export const userNet = { serverip: "10.0.2.2", ipaddr: "10.0.2.15" };

export class UbootVm extends Vm {
  constructor(private readonly board: UbootBoard, private readonly tftpDir: string) {
    super(tftpDir);
  }

  protected override launch(dir: string): void {
    ensureCommands([[this.board.qemu[0]!, "qemu-system-arm"], ["mkimage", "u-boot-tools"]]);
    execFileSync(this.board.qemu[0]!, [
      ...this.board.qemu.slice(1), "-bios", this.board.firmware,
      "-netdev", `user,id=net,restrict=on,tftp=${this.tftpDir}`, "-device", `${this.board.nic},netdev=net,romfile=`,
      "-display", "none", "-daemonize", "-pidfile", join(dir, "qemu.pid"),
      "-chardev", `socket,id=console,path=${join(dir, "console")},server=on,wait=off`, "-serial", "chardev:console",
    ], { stdio: "pipe" });
  }

  /** Stops U-Boot's autoboot countdown: a key press until its prompt shows. */
  async prompt(timeoutMs = 120_000): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; !/^=> $/m.test(this.console); await new Promise((r) => setTimeout(r, 250))) {
      if (Date.now() > deadline) throw new Error(`no U-Boot prompt within ${timeoutMs} ms:\n${this.console.slice(-3000)}`);
      this.send("\n");
    }
  }

  /** Runs one command line at U-Boot's prompt and returns what it printed. */
  async uboot(line: string, timeoutMs = 120_000): Promise<string> {
    const from = this.console.length;
    this.send(`${line}\n`);
    await this.waitFor(/\n=> $/, timeoutMs, from);
    const text = this.console.slice(from).replace(/\r/g, "");
    return text.slice(text.indexOf("\n") + 1, text.lastIndexOf("\n=> ") + 1);
  }
}
