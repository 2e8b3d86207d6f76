// A router fetches its ssh authorized keys and host key from an outboard secrets server (HTTPS,
// test CA) on the host's loopback and renders them for dropbear at start: ssh-keyscan shows that
// host key. When the server's document changes, the router picks it up at its next fetch and the
// subscriber restarts sshd: the new key gets in, the old one is refused and sshd shows the new
// host key, without a reboot. Traffic stays on 127.0.0.1 and in QEMU.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { ensureCommands } from "../../image/lib/host-programs.ts";
import { Vm } from "../../image/qemu/vm.ts";
import { freePort, hostKeyFingerprint, keyFingerprint, ssh } from "../lib/ssh.ts";
import { TestPki } from "../lib/pki.ts";
import { layout } from "../../runtime/src/layout.ts";

const onDevice = layout("");

const dir = mkdtempSync(join(tmpdir(), "limen-secrets-vm-"));
const file = (name: string) => join(dir, name);
let vm: Vm | undefined;
let server: Server | undefined;
afterAll(async () => {
  await vm?.stop();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

function keyPair(name: string): { path: string; pub: string } {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file(name)]);
  return { path: file(name), pub: readFileSync(`${file(name)}.pub`, "utf8").trim() };
}

describe("ssh keys from an outboard secrets server on qemu-aarch64", { timeout: 900_000 }, () => {
  it("lets in the key the server gives with its host key, and after a rotation only the new ones, without reboot", async () => {
    ensureCommands(["socat", "ssh", "ssh-keyscan"]);
    const pki = new TestPki(dir);
    pki.selfSigned("ca", { ec: true, cn: "limen test vault CA" });
    pki.issue(
      "vault",
      "ca",
      "subjectAltName=DNS:vault.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
      {
        ec: true,
        cn: "vault.test",
      },
    );

    const first = keyPair("first");
    const second = keyPair("second");
    let keys = [first.pub];
    const hostKeys = [keyPair("host1"), keyPair("host2")];
    let hostKey = readFileSync(hostKeys[0].path, "utf8");
    const fetched: string[] = [];
    server = createHttpsServer(
      { key: readFileSync(file("vault.key")), cert: readFileSync(file("vault.pem")) },
      (req, res) => {
        fetched.push(String(req.url));
        if (req.url !== "/router.json") return void res.writeHead(404).end();
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(JSON.stringify({ ssh: { authorized_keys: keys, host_key: hostKey } }));
      },
    );
    const vaultPort = await new Promise<number>((r) =>
      server!.listen(0, "127.0.0.1", () => r((server!.address() as AddressInfo).port)),
    );
    process.env.LIMEN_TEST_VAULT_PORT = String(vaultPort);
    process.env.LIMEN_TEST_VAULT_CA = readFileSync(file("ca.pem"), "utf8");

    const result = join(dir, "image");
    const { system } = await buildImage({
      device: "qemu-aarch64",
      config: "test/qemu/fixtures/secrets-router.ts",
      out: result,
      progress: () => {},
    });
    // the image holds the template of the keys file and no key
    const image = JSON.stringify(system.files);
    expect(image).not.toContain(first.pub.split(" ")[1]);
    expect(system.files.find((f) => f.path === onDevice.secretSpecOf("sshd"))).toBeDefined();

    const sshPort = await freePort();
    vm = new Vm(result, [
      "--ssh-port",
      String(sshPort),
      "--host-port",
      String(vaultPort),
      "--access",
      "230.0.0.1:23421",
      "--lan",
      "230.0.0.1:23422",
    ]);
    await vm.start();
    let r = await ssh(first.path, sshPort, "svc list");
    for (const deadline = Date.now() + 300_000; Date.now() < deadline && r.status !== 0;) {
      await new Promise((res) => setTimeout(res, 3000));
      r = await ssh(first.path, sshPort, "svc list");
    }
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")).toEqual(expect.arrayContaining(["vault", "sshd", "rotate"]));
    expect(fetched).toContain("/router.json");
    // the rendered file is root's alone; the log names no key
    expect((await ssh(first.path, sshPort, "stat -L -c '%a %u' /home/root/.ssh/authorized_keys")).stdout.trim()).toBe(
      "400 0",
    );
    expect((await ssh(first.path, sshPort, "svc log")).stdout).not.toContain(first.pub.split(" ")[1]);
    expect((await ssh(second.path, sshPort, "true")).status).toBe(255);
    // the server's host key, from a file root alone reads, converted beside it for dropbear
    expect(hostKeyFingerprint(sshPort)).toBe(keyFingerprint(hostKeys[0].path));
    const secrets = onDevice.secretsOf("sshd");
    const modes = await ssh(
      first.path,
      sshPort,
      `cd ${secrets} && stat -c '%n %a %u' ssh_host_ed25519_key dropbear_ed25519_host_key`,
    );
    expect(modes.stdout).toBe("ssh_host_ed25519_key 400 0\ndropbear_ed25519_host_key 600 0\n");
    const body = hostKey.split("\n")[2];
    expect((await ssh(first.path, sshPort, "svc log")).stdout).not.toContain(body);
    const argv = (await ssh(first.path, sshPort, "ps -o args | grep '^[d]ropbear'")).stdout;
    expect(argv).toContain(`dropbear -F -E -r ${secrets}/dropbear_ed25519_host_key `);
    expect(argv).not.toContain(body);

    const pid = (await ssh(first.path, sshPort, "svc --json status sshd")).stdout;
    keys = [second.pub];
    hostKey = readFileSync(hostKeys[1].path, "utf8");
    // the router fetches every minute; then the subscriber restarts sshd
    let rotated = await ssh(second.path, sshPort, "svc log rotate");
    for (const deadline = Date.now() + 240_000; Date.now() < deadline && rotated.status !== 0;) {
      await new Promise((res) => setTimeout(res, 5000));
      rotated = await ssh(second.path, sshPort, "svc log rotate");
    }
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toContain("vault changed ssh/authorized_keys, ssh/host_key: restarting sshd");
    const refused = await ssh(first.path, sshPort, "true");
    expect(refused.status).toBe(255);
    expect(refused.stderr).toContain("Permission denied");
    expect(hostKeyFingerprint(sshPort)).toBe(keyFingerprint(hostKeys[1].path));
    // the same boot: sshd restarted, the system did not
    expect((await ssh(second.path, sshPort, "svc --json status sshd")).stdout).not.toBe(pid);
    expect(vm.console).not.toMatch(/reboot: Restarting system/);
  });
});
