// A USB stick plugged into a running qemu-aarch64 router (QEMU monitor device_add on an xHCI
// controller) mounts /srv through the mount template's uevent-rule controller, and unplugging it
// (device_del) unmounts it. The router is the configuration's real root tree (limen init, s6,
// svc), booted as an initramfs whose /init first loads the Debian kernel's USB storage modules.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { loadConfig, loadDevice } from "../../image/config/load.ts";
import { debianKernel } from "../../image/qemu/kernel.ts";
import { initramfs } from "../../image/rootfs/cpio.ts";
import { rootTree } from "../../image/rootfs/system.ts";
import type { TreeEntry } from "../../image/rootfs/tree.ts";
import { ensureCommands } from "../../image/lib/host-programs.ts";
import { Guest, guestCommand } from "../../image/qemu/vm.ts";
import { build as buildRuntime } from "../../runtime/build/main.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-usb-"));
let guest: Guest | undefined;
afterAll(async () => {
  await guest?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(argv: string[], input?: string): void {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", input });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr}`);
}

/** A disk image with a GPT partition named `label` holding an ext2 file system with /hello. */
function stick(path: string, label: string, hello: string): void {
  ensureCommands(["sfdisk", "mkfs.ext2"]);
  const content = join(dir, "content");
  mkdirSync(content);
  writeFileSync(join(content, "hello"), `${hello}\n`);
  writeFileSync(path, Buffer.alloc(16 << 20));
  run(["sfdisk", "--quiet", path], `label: gpt\nstart=2048, size=16384, name=${label}\n`);
  const part = join(dir, "part.img");
  run(["mkfs.ext2", "-q", "-F", "-d", content, part, "8M"]);
  run(["dd", `if=${part}`, `of=${path}`, "bs=512", "seek=2048", "conv=notrunc", "status=none"]);
}

/** Sends one command to QEMU's human monitor and waits (up to 60 s) for its next prompt; an error answer throws. */
async function monitor(socket: string, command: string): Promise<string> {
  for (let i = 0; !existsSync(socket); i++) {
    if (i > 100) throw new Error(`QEMU made no monitor socket at ${socket}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return new Promise((resolve, reject) => {
    let text = "";
    /** Where the answer starts: the command is sent once, after the greeting's prompt. */
    let sentAt = -1;
    const s = connect(socket);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`QEMU's monitor did not finish "${command}" within 60 s; it said: ${JSON.stringify(text)}`));
    }, 60_000);
    s.on("error", reject);
    s.on("data", (b: Buffer) => {
      text += b.toString();
      if (sentAt < 0 && text.includes("(qemu) ")) {
        sentAt = text.length;
        s.write(`${command}\n`);
      } else if (sentAt >= 0 && text.slice(sentAt).includes("(qemu) ")) {
        clearTimeout(timer);
        s.end();
        const answer = text.slice(sentAt);
        if (/Error/i.test(answer)) reject(new Error(`QEMU's monitor refused "${command}": ${answer}`));
        else resolve(answer);
      }
    });
  });
}

describe("a USB stick on qemu-aarch64", { timeout: 600_000 }, () => {
  it("mounts /srv from the partition labelled limen-srv when it is plugged in, unmounts it when it is pulled, and mounts it again", async () => {
    const emulator = (await loadDevice("qemu-aarch64")).emulator!;
    const system = compile(
      evaluate(await loadConfig("test/qemu/fixtures/usb-stick.ts"), await loadDevice("qemu-aarch64")),
    );
    const [runtime] = await buildRuntime(["aarch64"]);
    const { entries } = await rootTree(system, runtime.path, {});
    // xHCI host controller, USB mass storage (SCSI disk), the file system and the checksum ext4
    // asks the crypto API for (not a module dependency): all modules in Debian's kernel
    const kernel = await debianKernel(emulator, ["xhci_pci", "usb_storage", "sd_mod", "crc32c_generic", "ext4"]);
    const modules = kernel.modules.map((m) => `/lib/modules/${kernel.release}/${m.relative}`);
    const init = ["#!/bin/sh", ...modules.map((m) => `insmod ${m}`), "exec /sbin/init", ""].join("\n");
    const tree: TreeEntry[] = [
      ...entries,
      { type: "file", path: "/init", mode: 0o755, uid: 0, gid: 0, content: Buffer.from(init) },
      { type: "char", path: "/dev/console", mode: 0o600, uid: 0, gid: 0, major: 5, minor: 1 },
      ...kernel.modules.map((m, i): TreeEntry => ({
        type: "file",
        path: modules[i],
        mode: 0o644,
        uid: 0,
        gid: 0,
        content: { hostPath: m.path },
      })),
    ];
    const initrd = join(dir, "initramfs.cpio.gz");
    writeFileSync(initrd, await initramfs(tree));
    const image = join(dir, "stick.img");
    stick(image, "limen-srv", "hello from the stick");

    const socket = join(dir, "monitor");
    guest = new Guest(
      guestCommand(emulator, kernel, initrd, [
        "-nic",
        "none",
        "-device",
        "qemu-xhci,id=xhci",
        "-monitor",
        `unix:${socket},server=on,wait=off`,
      ]),
    );
    await guest.waitFor(/BOOTED/, 600_000);
    await monitor(socket, `drive_add 0 if=none,id=stick,format=raw,file=${image}`);
    await monitor(socket, "device_add usb-storage,bus=xhci.0,drive=stick,id=stick");
    const up = await guest.waitFor(/SRV-UP (.*) via (\S+)\r?\n/, 180_000);
    expect(up[1]).toBe("hello from the stick");
    expect(up[2]).toMatch(/^\/dev\/sd[a-z]1$/);

    await monitor(socket, "device_del stick");
    const down = await guest.waitFor(/SRV-(UNMOUNTED|STILL-MOUNTED)/, 300_000);
    expect(down[1]).toBe("UNMOUNTED");

    // plugged in again, it is mounted again
    await monitor(socket, `drive_add 0 if=none,id=again,format=raw,file=${image}`);
    await monitor(socket, "device_add usb-storage,bus=xhci.0,drive=again,id=again");
    const again = await guest.waitFor(/SRV-UNMOUNTED[\s\S]*SRV-UP (.*) via (\S+)\r?\n/, 180_000);
    expect(again[1]).toBe("hello from the stick");
  });
});
