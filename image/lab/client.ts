// A LAN client of the lab: a plain busybox guest (qemu-aarch64, the quickest to emulate) on the
// LAN segment, in the background like the router, with a root shell on its console that the
// checks drive (Vm.run). Its udhcpc script configures the lease and prints it as one line. Given
// the lab's SSH key, it holds it for Dropbear's client, converted from OpenSSH's format at boot.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { loadDevice } from "../config/load.ts";
import { busyboxGuest } from "../qemu/busybox-guest.ts";
import { backgroundArgs, guestCommand, Vm } from "../qemu/vm.ts";

// udhcpc calls this with the lease in its environment (mask is the prefix length)
const leaseScript = `#!/bin/sh
case "$1" in
  deconfig) ip address flush dev "$interface" ;;
  bound|renew)
    ip address replace "$ip/$mask" dev "$interface"
    [ -z "$router" ] || ip route replace default via "\${router%% *}" dev "$interface"
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    echo "LEASE ip=$ip mask=$mask router=$(echo $router | tr ' ' ,) dns=$(echo $dns | tr ' ' ,) domain=$domain" ;;
esac
`;

/** The console prompt, set so that nothing else on the console looks like it. */
export const clientPrompt = "lab-client# ";

export class LanClient extends Vm {
  constructor(private readonly command: string[]) {
    super("");
  }

  protected override launch(dir: string): void {
    execFileSync(this.command[0], [...this.command.slice(1), ...backgroundArgs(dir)], { stdio: "pipe" });
  }
}

/** Where the client keeps the lab's SSH key, in Dropbear's format (`dbclient -i`). */
export const clientKey = "/root/lab-key.db";

/**
 * Makes a client's initramfs in `dir` and the guest that boots it on the LAN, `lan` its QEMU socket
 * network (`mcast=GROUP`, or `udp=…,localaddr=…` for a point-to-point link) (not started);
 * `sshKey`, a private key in OpenSSH's format, for `dbclient -i clientKey`.
 */
export async function lanClient(dir: string, lan: string, mac: string, sshKey: string | null): Promise<LanClient> {
  const emulator = (await loadDevice("qemu-aarch64")).emulator!;
  const initrd = join(dir, "client.cpio.gz");
  const kernel = await busyboxGuest(
    emulator,
    initrd,
    [
      "mkdir -p /etc /run /root",
      // chronyd -u root looks the account up
      "echo root:x:0:0:root:/:/bin/sh > /etc/passwd",
      "ip link set lo up",
      "ip link set eth0 up",
      ...(sshKey === null
        ? []
        : [`/usr/lib/dropbear/dropbearconvert openssh dropbear /root/lab-key ${clientKey} 2>/dev/null`]),
      // kernel messages stay off the shell's console
      "dmesg -n 1",
      `export PS1='${clientPrompt}'`,
      "echo LAB-CLIENT-READY",
      "exec setsid cttyhack sh",
    ],
    [
      { type: "file", path: "/bin/lease", mode: 0o755, uid: 0, gid: 0, content: Buffer.from(leaseScript) },
      ...(sshKey === null
        ? []
        : [
            {
              type: "file" as const,
              path: "/root/lab-key",
              mode: 0o600,
              uid: 0,
              gid: 0,
              content: { hostPath: sshKey },
            },
          ]),
    ],
    [
      // an NTP client (busybox's has no ntpd): chronyd -Q asks a server and prints the offset
      { package: "chrony", files: ["/usr/sbin/chronyd"] },
      ...(sshKey === null
        ? []
        : [{ package: "dropbear-bin", files: ["/usr/bin/dbclient", "/usr/lib/dropbear/dropbearconvert"] }]),
    ],
    // 802.1Q: the vlan check's client tags its frames
    ["8021q"],
  );
  return new LanClient(
    guestCommand(
      emulator,
      kernel,
      initrd,
      [
        "-netdev",
        lan.startsWith("mcast=") ? `socket,id=lan,${lan},localaddr=127.0.0.1` : `socket,id=lan,${lan}`,
        "-device",
        `virtio-net-pci,netdev=lan,mac=${mac},romfile=`,
      ],
      [],
    ),
  );
}
