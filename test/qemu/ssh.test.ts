// From the host, ssh to the router through the forwarded loopback port. The newcomer's path: the
// default build (hello-from-qemu on qemu-aarch64) started by run.sh with --ssh-port and a key
// given at start lets that key run `svc list` and, with a pseudo-terminal, a login shell with job
// control; it refuses another key, and a router started without the key refuses it. Keys built
// into the image (users.*.openssh) work on the other CPUs, where an image not built to take
// run.sh's keys refuses them. Traffic stays on 127.0.0.1 and inside QEMU. Through the same login:
// the bridge and the firewall are up with the Debian kernel modules svc loaded.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { Vm } from "../../image/qemu/vm.ts";
import { freePort, hostKeyFingerprint, ssh, type SshResult } from "../lib/ssh.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-ssh-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyPair(name: string): string {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", join(dir, name)]);
  return join(dir, name);
}

// one pair of keys for every router: the fixture configuration reads the key once, when imported
const good = keyPair("good");
const bad = keyPair("bad");
process.env.LIMEN_TEST_SSH_KEY = readFileSync(`${good}.pub`, "utf8").trim();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `command` with `key` until `done` holds of the answer (sshd and its services take a while to come up). */
async function sshUntil(key: string, port: number, command: string, done: (r: SshResult) => boolean) {
  let r = await ssh(key, port, command);
  for (const deadline = Date.now() + 300_000; Date.now() < deadline && !done(r); await sleep(3000))
    r = await ssh(key, port, command);
  return r;
}

/**
 * What a person gets with ssh -t: a login shell in root's home on a pseudo-terminal, where job
 * control works (a background job is listed and killed by its number).
 */
async function expectTerminalSession(port: number): Promise<void> {
  const session = await ssh(good, port, "", {
    pty: true,
    // the shell tells of the killed job at a prompt once it has reaped it: a second before exit
    input: "pwd\nls -l /proc/$$/fd/0\nsleep 60 &\njobs\nkill %1\nsleep 1\njobs\nexit\n",
  });
  const shown = session.stdout.replace(/\r/g, "");
  expect(shown).not.toMatch(/job control turned off|can't change directory|Could not chdir/);
  expect(shown).toMatch(/\/home\/root$/m);
  expect(shown).toMatch(/ -> \/dev\/pts\/\d+$/m);
  expect(shown).toMatch(/\[1\]\s*\+\s*Running\s+sleep 60$/m);
  expect(shown).toMatch(/\[1\]\s*\+\s*Terminated\s+sleep 60$/m);
  expect(session.status).toBe(0);
}

/** Starts run.sh in the background with HOME elsewhere, so no key of the person running the tests is given. */
async function start(result: string, args: string[]): Promise<Vm> {
  const home = mkdtempSync(join(dir, "home-"));
  const before = process.env.HOME;
  process.env.HOME = home;
  const vm = new Vm(result, args);
  try {
    await vm.start();
  } finally {
    process.env.HOME = before;
  }
  return vm;
}

describe("the default build, run.sh --ssh-port with --authorized-key", { timeout: 900_000 }, () => {
  const result = join(dir, "hello");
  let vm: Vm | undefined;
  let port = 0;
  let defaults: string[] = [];
  beforeAll(async () => {
    // npm run image's defaults, as the README's first lines build them
    const { system } = await buildImage({
      device: "qemu-aarch64",
      config: "examples/hello-from-qemu.ts",
      out: result,
      progress: () => {},
    });
    defaults = system.defaultServices;
    port = await freePort();
    const nets = ["--access", "230.0.0.1:24301", "--lan", "230.0.0.1:24302"];
    vm = await start(result, ["--ssh-port", String(port), "--authorized-key", `${good}.pub`, ...nets]);
  }, 900_000);
  afterAll(() => vm?.stop());

  it("lets the key given at start run svc list, and refuses another key", async () => {
    const r = await sshUntil(good, port, "svc list", (r) => defaults.every((s) => r.stdout.split("\n").includes(s)));
    expect(r.stdout.trim().split("\n").sort()).toEqual(expect.arrayContaining([...defaults].sort()));
    expect(r.status).toBe(0);
    const refused = await ssh(bad, port, "svc list");
    expect(refused.status).toBe(255);
    expect(refused.stderr).toContain("Permission denied");
  });

  it("gives a login shell with a terminal and job control (ssh -tt)", async () => {
    await expectTerminalSession(port);
  });
});

describe("the default build started without --authorized-key", { timeout: 900_000 }, () => {
  let vm: Vm | undefined;
  afterAll(() => vm?.stop());

  it("refuses the key it was not given", async () => {
    // the image the first describe built (vitest runs a file's tests in order)
    const port = await freePort();
    const nets = ["--access", "230.0.0.1:24303", "--lan", "230.0.0.1:24304"];
    vm = await start(join(dir, "hello"), ["--ssh-port", String(port), ...nets]);
    // sshd answers at all once the key is refused, rather than the connection dropped
    const r = await sshUntil(good, port, "svc list", (r) => r.stderr.includes("Permission denied") || r.status === 0);
    expect(r.stderr).toContain("Permission denied");
    expect(r.status).toBe(255);
  });
});

describe.each([
  { device: "qemu-armv7l", group: 23413 },
  { device: "qemu-mipsel", group: 23415 },
])("ssh to $device with a key built in", { timeout: 900_000 }, ({ device, group }) => {
  let vm: Vm | undefined;
  afterEach(async () => {
    await vm?.stop();
    vm = undefined;
  });

  it("lets the configured key run svc list and a shell on a terminal, refuses another, even one run.sh hands over", async () => {
    const result = join(dir, device);
    const { system } = await buildImage({
      device,
      config: "test/qemu/fixtures/ssh-router.ts",
      out: result,
      progress: () => {},
    });
    const port = await freePort();
    // an image built without fromRunScript leaves run.sh's key disk unread
    const args = ["--ssh-port", String(port), "--authorized-key", `${bad}.pub`];
    vm = await start(result, [...args, "--access", `230.0.0.1:${group}`, "--lan", `230.0.0.1:${group + 1}`]);
    const r = await sshUntil(good, port, "svc list", (r) =>
      system.defaultServices.every((s) => r.stdout.split("\n").includes(s)),
    );
    expect(r.stdout.trim().split("\n").sort()).toEqual(expect.arrayContaining([...system.defaultServices].sort()));
    expect(r.status).toBe(0);
    await expectTerminalSession(port);
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

describe("ssh host keys kept on a disk (qemu-aarch64)", { timeout: 900_000 }, () => {
  let vm: Vm | undefined;
  afterEach(async () => {
    await vm?.stop();
    vm = undefined;
  });

  it("makes the host key once, says so on the console, and shows the same key after a reboot", async () => {
    const result = join(dir, "hostkeys");
    await buildImage({
      device: "qemu-aarch64",
      config: "test/qemu/fixtures/ssh-hostkeys.ts",
      out: result,
      progress: () => {},
    });
    const disk = join(dir, "persist.img");
    execFileSync("mkfs.ext4", ["-q", "-F", disk, "8M"]);
    const boot = async () => {
      const port = await freePort();
      const args = [
        "--ssh-port",
        String(port),
        "--disk",
        disk,
        "--access",
        "230.0.0.1:23417",
        "--lan",
        "230.0.0.1:23418",
      ];
      vm = await start(result, args);
      const r = await sshUntil(good, port, "svc list", (r) => r.stdout.split("\n").includes("sshd"));
      expect(r.status).toBe(0);
      return port;
    };
    const first = await boot();
    const made = await vm!.waitFor(/sshd: host key made and kept in \/persist\/ssh: Fingerprint: (SHA256:\S+)/, 60_000);
    const key = hostKeyFingerprint(first);
    expect(made[1]).toBe(key);
    // a clean poweroff, so the disk holds the key
    void ssh(good, first, "sync; poweroff");
    await vm!.waitFor(/reboot: Power down/, 120_000);
    await vm!.stop();
    const second = await boot();
    expect(hostKeyFingerprint(second)).toBe(key);
    expect(vm!.console).not.toContain("host key made");
  });
});
