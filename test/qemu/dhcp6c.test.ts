// dhcp6c on the device: a router (mipsel) gets an IPv6 address by DHCPv6 from a second router
// running dnsmasq on the same LAN segment; dhcpcd runs under its own account, the service becomes
// ready with the lease, and the oneshot that waits for it puts the address on the other interface.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { Vm } from "../../image/qemu/vm.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-dhcp6c-qemu-"));
const vms: Vm[] = [];
afterAll(async () => {
  for (const vm of vms) await vm.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("dhcp6c on qemu-mipsel", { timeout: 900_000 }, () => {
  it("takes an address from dnsmasq, publishes it and, once ready, lets the address oneshot use it", async () => {
    const lan = "230.0.0.1:23472";
    const boot = async (config: string, access: string) => {
      const out = join(dir, config);
      const { system } = await buildImage({
        device: "qemu-mipsel",
        config: `test/qemu/fixtures/${config}.ts`,
        out,
        progress: () => {},
      });
      const vm = new Vm(out, ["--access", access, "--lan", lan]);
      vms.push(vm);
      await vm.start();
      return { vm, system };
    };
    // one build at a time (they share the runtime's), the two guests then boot side by side
    const server = await boot("dhcp6-server", "230.0.0.1:23470");
    const client = await boot("dhcp6-client", "230.0.0.1:23471");
    await server.vm.login("upstream", "root", "secret");
    await client.vm.login("downstream", "root", "secret");
    // kernel messages (QEMU's multicast LAN echoes each guest's own neighbour advertisements) stay off the console
    for (const vm of [server.vm, client.vm]) await vm.run("dmesg -n 1");
    expect(await server.vm.servicesUp(server.system.defaultServices)).toEqual(
      expect.arrayContaining(server.system.defaultServices),
    );
    // the client's timeout for a lease is 60 s: its retries reach the server once that is up
    expect(await client.vm.servicesUp(client.system.defaultServices, 240_000)).toEqual(
      expect.arrayContaining(client.system.defaultServices),
    );

    const address = (await client.vm.run("output lan.mac.dhcp6c addresses")).trim();
    const m = /^2001:db8:0:1::([0-9a-f]+)\/128$/.exec(address);
    expect(m, `addresses: ${address}`).not.toBeNull();
    expect(parseInt(m![1], 16)).toBeGreaterThanOrEqual(0x100);
    expect(parseInt(m![1], 16)).toBeLessThanOrEqual(0x1ff);
    expect((await client.vm.run("output lan.mac.dhcp6c rdnss")).trim()).toBe("2001:db8:0:1::1");
    // dnsmasq delegates no prefix and sends no search list: those outputs are absent, not empty
    for (const key of ["prefixes", "domains"]) {
      expect((await client.vm.run(`output lan.mac.dhcp6c ${key} 2>&1`)).trim()).toBe(
        `output: lan.mac.dhcp6c has no output ${key}`,
      );
    }
    const shown = async (vm: Vm, command: string) => String(await vm.run(command));
    expect(await shown(client.vm, "ip -6 -o address show dev eth1")).toContain(`inet6 ${address} `);
    expect(await shown(client.vm, "ip -6 -o address show dev eth0")).toContain(
      `inet6 ${address.replace("/128", "/64")} `,
    );
    expect(await shown(client.vm, "ps | grep '[n]etwork proxy'")).toMatch(/ dhcpcd +dhcpcd: \[network proxy\]/);
  });
});
