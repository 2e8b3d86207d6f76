// From the host, ssh to the router through the forwarded loopback port: the configured key
// gets `svc list` and, with a pseudo-terminal, a login shell with job control; another key is
// refused. Traffic stays on 127.0.0.1 and inside QEMU. Through the same login: the bridge and the
// firewall are up with the Debian kernel modules svc loaded.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { Vm } from "../../image/qemu/vm.ts";
import { freePort, ssh } from "../lib/ssh.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-ssh-"));
let vm: Vm | undefined;
afterEach(async () => {
  await vm?.stop();
  vm = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyPair(name: string): string {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", join(dir, name)]);
  return join(dir, name);
}

// one pair of keys for every device: the fixture configuration reads the key once, when imported
const good = keyPair("good");
const bad = keyPair("bad");
process.env.LIMEN_TEST_SSH_KEY = readFileSync(`${good}.pub`, "utf8").trim();

describe.each([
  { device: "qemu-aarch64", group: 23411 },
  { device: "qemu-armv7l", group: 23413 },
  { device: "qemu-mipsel", group: 23415 },
])("ssh to $device", { timeout: 900_000 }, ({ device, group }) => {
  it("lets the configured key run svc list and a shell on a terminal, and refuses another key", async () => {
    const result = join(dir, device);
    const { system } = await buildImage({
      device,
      config: "test/qemu/fixtures/ssh-router.ts",
      out: result,
      progress: () => {},
    });
    const port = await freePort();
    vm = new Vm(result, [
      "--ssh-port",
      String(port),
      "--access",
      `230.0.0.1:${group}`,
      "--lan",
      `230.0.0.1:${group + 1}`,
    ]);
    await vm.start();
    let r = await ssh(good, port, "svc list");
    for (
      const deadline = Date.now() + 300_000;
      Date.now() < deadline && !system.defaultServices.every((s) => r.stdout?.split("\n").includes(s));
    ) {
      await new Promise((res) => setTimeout(res, 3000));
      r = await ssh(good, port, "svc list");
    }
    expect(r.stdout.trim().split("\n").sort()).toEqual(expect.arrayContaining([...system.defaultServices].sort()));
    expect(r.status).toBe(0);
    // what a person gets with ssh -t: a login shell in root's home on a pseudo-terminal, where
    // job control works (a background job is listed and killed by its number)
    const session = await ssh(good, port, "", {
      pty: true,
      input: "pwd\nls -l /proc/$$/fd/0\nsleep 60 &\njobs\nkill %1\nsleep 1\njobs\nexit\n",
    });
    const shown = session.stdout.replace(/\r/g, "");
    expect(shown).not.toMatch(/job control turned off|can't change directory|Could not chdir/);
    expect(shown).toMatch(/\/home\/root$/m);
    expect(shown).toMatch(/ -> \/dev\/pts\/\d+$/m);
    expect(shown).toMatch(/\[1\]\s*\+\s*Running\s+sleep 60$/m);
    // killed by its job number: ash reports it at the next prompt or when asked, once it is reaped
    expect(shown).toMatch(/\[1\]\s*\+\s*Terminated\s+sleep 60$/m);
    expect(session.status).toBe(0);
    const refused = await ssh(bad, port, "svc list");
    expect(refused.status).toBe(255);
    expect(refused.stderr).toContain("Permission denied");

    // the services' kernel modules, with their dependencies, are loaded (no kernel loads them by
    // itself: the image has no modprobe)
    const modules = (await ssh(good, port, "cat /proc/modules")).stdout.split("\n").map((l) => l.split(" ")[0]);
    for (const m of ["bridge", "stp", "llc", "nf_tables", "nft_ct", "nft_chain_nat", "nft_masq", "nf_nat"])
      expect(modules).toContain(m);
    // br0 is a bridge with the LAN port in it, and the ruleset is loaded with the zones filled
    const links = await ssh(good, port, "ls /sys/class/net/br0/bridge >/dev/null && ls /sys/class/net/br0/brif");
    expect(links.stdout.trim()).toBe("eth1");
    const lan = await ssh(good, port, "nft list set inet limen lan");
    expect(lan.stdout).toMatch(/elements = \{ "br0",\s+"eth2" \}/);
    expect((await ssh(good, port, "nft list chain inet limen postrouting")).stdout).toContain(
      "oifname @wan masquerade",
    );
  });
});
