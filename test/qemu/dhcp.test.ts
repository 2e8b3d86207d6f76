// The router serves its LAN: a second, plain busybox guest on the same LAN segment asks for an
// address with DHCP, gets one from the router's range and pings the router.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { loadDevice } from "../../image/config/load.ts";
import { Guest, guestCommand, Vm } from "../../image/qemu/vm.ts";
import { busyboxGuest } from "../../image/qemu/busybox-guest.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-dhcp-"));
let router: Vm | undefined;
let client: Guest | undefined;
afterEach(async () => {
  await client?.stop();
  await router?.stop();
  client = router = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// udhcpc calls this with the lease in its environment
const leaseScript = `#!/bin/sh
[ "$1" = bound ] || exit 0
ip addr add "$ip/$mask" dev "$interface"
echo "LEASE $ip ROUTER-DNS $dns"
`;

// the client is always the quickest guest to emulate: the router is what is under test
describe.each([
  { device: "qemu-aarch64", port: 23421 },
  { device: "qemu-armv7l", port: 23423 },
  { device: "qemu-mipsel", port: 23425 },
])("DHCP on the LAN of $device", { timeout: 900_000 }, ({ device, port }) => {
  it("gives a plain guest an address in the configured range, and the router answers its ping", async () => {
    const lanGroup = `230.0.0.1:${port + 1}`;
    const result = join(dir, device);
    const { system } = await buildImage({
      device,
      config: "examples/hello-from-qemu.ts",
      out: result,
      progress: () => {},
    });
    router = new Vm(result, ["--access", `230.0.0.1:${port}`, "--lan", lanGroup]);
    await router.start();
    await router.login("hello", "root", "secret");
    expect(await router.servicesUp(system.defaultServices)).toEqual(expect.arrayContaining(system.defaultServices));

    const emulator = (await loadDevice("qemu-aarch64")).emulator!;
    const initrd = join(dir, `client-${device}.cpio.gz`);
    const kernel = await busyboxGuest(
      emulator,
      initrd,
      [
        "ip link set eth0 up",
        "udhcpc -i eth0 -n -q -t 20 -T 3 -s /bin/lease && ping -c 3 -W 5 10.3.0.1 && echo PING-OK",
        "echo CLIENT-DONE",
      ],
      [{ type: "file", path: "/bin/lease", mode: 0o755, uid: 0, gid: 0, content: Buffer.from(leaseScript) }],
    );
    client = new Guest(
      guestCommand(emulator, kernel, initrd, [
        "-netdev",
        `socket,id=lan,mcast=${lanGroup},localaddr=127.0.0.1`,
        "-device",
        "virtio-net-pci,netdev=lan,romfile=",
      ]),
    );
    const lease = await client.waitFor(/LEASE (\d+\.\d+\.\d+\.\d+) ROUTER-DNS (\S*)\r?\n/, 300_000);
    const last = Number(lease[1].split(".")[3]);
    expect(lease[1].startsWith("10.3.0.")).toBe(true);
    expect(last).toBeGreaterThanOrEqual(10);
    expect(last).toBeLessThanOrEqual(240);
    expect(lease[2]).toBe("10.3.0.1");
    await client.waitFor(/CLIENT-DONE/, 120_000);
    expect(client.console).toContain("PING-OK");
  });
});
