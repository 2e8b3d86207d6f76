// The lab's way into a router whose configuration lets nobody log in at the console (rotuer's
// root has no password, only an ssh key): a module the lab adds to the configuration's imports,
// in the lab's build only, that puts a root shell on a virtio console (/dev/hvc0). Its other end
// is a socket of the lab's (shellQemuArgs), so nothing but the lab reaches it; what users flash
// is built without it.
import { defineModule, longrun } from "../config/index.ts";

/** The service's name in the lab's build. */
export const labShellService = "lab.shell";

export const labShell = defineModule({
  name: "lab-shell",
  config: {
    services: {
      // -n: no login name asked, -l /bin/sh: a shell instead of login; s6 starts another on exit
      [labShellService]: longrun({
        name: labShellService,
        kernelModules: ["virtio_console"],
        run: "exec getty -n -l /bin/sh -L 115200 hvc0 vt100",
      }),
    },
    programs: { busybox: { applets: ["getty"] } },
  },
});

/**
 * QEMU's arguments for the virtio console whose other end is the unix socket `path`. Its PCI slot,
 * 0x0c, is one whose interrupt the Malta board (qemu-mipsel) routes where Linux looks for it (the
 * slot of the board's sound chip; run.sh's devices fill 0x12-0x15, the four card slots, and the next
 * free slot gets no interrupt: the driver fails with "Error -22 initializing vqs"). The ARM virt
 * boards route every slot.
 */
export function shellQemuArgs(path: string): string[] {
  return [
    "-device",
    "virtio-serial-pci,id=labserial,addr=0x0c",
    "-chardev",
    `socket,id=labshell,path=${path},server=on,wait=off`,
    "-device",
    "virtconsole,chardev=labshell,bus=labserial.0",
  ];
}
