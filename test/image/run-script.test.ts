// vmroot's run.sh, run for real with a stand-in QEMU on PATH that prints the arguments it gets:
// bad arguments stop it with the usage or a one-line error and its exit code, the disks and the
// key disk come in the order promised, QEMU's own arguments last, and --connect joins a console.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runScript } from "../../image/outputs/run-script.ts";
import { until } from "../lib/until.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-run-sh-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const result = join(dir, "result");
const bin = join(dir, "bin");
const noKeys = join(dir, "home-without-keys");
const withKey = join(dir, "home");
for (const d of [result, bin, noKeys, join(withKey, ".ssh")]) mkdirSync(d, { recursive: true });
const emulator = {
  system: "stand-in-qemu",
  machine: ["-M", "virt"],
  memoryMiB: 256,
  console: "ttyAMA0",
  kernelPackage: "linux-image-arm64",
  debianArch: "arm64" as const,
  kernelModules: [],
  extra: [],
};
writeFileSync(join(result, "run.sh"), runScript("qemu-aarch64", emulator, "console=ttyAMA0 rdinit=/preinit"));
chmodSync(join(result, "run.sh"), 0o755);
writeFileSync(join(bin, "stand-in-qemu"), `#!/bin/sh\nprintf '%s\\n' "$@"\n`);
chmodSync(join(bin, "stand-in-qemu"), 0o755);
const publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDtestkeytestkeytestkeytestkeytestkeytestkey you@host\n";
writeFileSync(join(withKey, ".ssh", "id_ed25519.pub"), publicKey);

function run(args: string[], home = noKeys) {
  const r = spawnSync(join(result, "run.sh"), args, {
    encoding: "utf8",
    env: { PATH: `${bin}:${process.env.PATH ?? ""}`, HOME: home },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, args: r.stdout.split("\n").slice(0, -1) };
}

/** The value after each occurrence of `flag` in QEMU's arguments. */
const after = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

describe("run.sh's arguments", () => {
  it.each([[["--nope", "x"]], [["--ssh-port"]], [["--connect"]], [["--connect", dir, "--ssh-port", "2222"]]])(
    "%j: the usage, exit code 100, and QEMU is not started",
    (args) => {
      const r = run(args);
      expect(r.status).toBe(100);
      expect(r.stderr).toMatch(
        /^usage: .*run\.sh \[--background DIR\].*\[-- QEMU-ARGUMENT\.\.\.\]\n.*--connect DIR\n$/,
      );
      expect(r.stdout).toBe("");
    },
  );

  it.each([
    [["--ssh-port", "22x"], "--ssh-port 22x: not a port number"],
    [["--host-port", "70000"], "--host-port 70000: not a port number"],
    [["--disk", join(dir, "absent.img")], `--disk ${join(dir, "absent.img")}: no such file`],
    [
      ["--authorized-key", join(dir, "absent.pub")],
      `--authorized-key ${join(dir, "absent.pub")}: no such readable file`,
    ],
    [["--connect", noKeys], `--connect ${noKeys}: no console there (start the router with --background ${noKeys})`],
  ])("%j: one line naming it, exit code 1", (args, message) => {
    const r = run(args);
    expect(r.stderr).toBe(`run.sh: ${message}\n`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
  });

  it("refuses a private key and a file holding no public key", () => {
    const secret = join(dir, "id_ed25519");
    writeFileSync(
      secret,
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    let r = run(["--authorized-key", secret]);
    expect(r.stderr).toBe(
      `run.sh: --authorized-key ${secret}: is a private key; give the public one (${secret}.pub)\n`,
    );
    expect(r.status).toBe(1);
    const notes = join(dir, "notes.txt");
    writeFileSync(notes, "my key is somewhere\n");
    r = run(["--authorized-key", notes]);
    expect(r.stderr).toMatch(/^run\.sh: --authorized-key .*notes\.txt: holds no public key/);
    expect(r.status).toBe(1);
  });
});

describe("run.sh's QEMU command", () => {
  it("has the NICs, then the disks in order, then the key disk, then QEMU's own arguments", () => {
    const first = join(dir, "a,b.img");
    const second = join(dir, "it's.img");
    for (const f of [first, second]) writeFileSync(f, "");
    const r = run(
      ["--ssh-port", "2222", "--disk", first, "--disk", second, "--", "-smp", "2", "-name", "x y"],
      withKey,
    );
    expect(r.status).toBe(0);
    expect(r.args[0]).toBe("-M");
    expect(after(r.args, "-append")).toEqual(["console=ttyAMA0 rdinit=/preinit"]);
    expect(after(r.args, "-netdev")).toEqual([
      "socket,id=access,mcast=230.0.0.1:1234,localaddr=127.0.0.1",
      "socket,id=lan,mcast=230.0.0.1:1235,localaddr=127.0.0.1",
      "user,id=host,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22",
    ]);
    expect(after(r.args, "-drive")).toEqual([
      `if=none,id=root,format=raw,readonly=on,file=${result}/rootfs.squashfs`,
      `if=none,id=disk1,format=raw,file=${dir}/a,,b.img`,
      `if=none,id=disk2,format=raw,file=${second}`,
      `if=none,id=keys,format=raw,readonly=on,file=${withKey}/.ssh/id_ed25519.pub`,
    ]);
    expect(after(r.args, "-device")).toEqual([
      "virtio-blk-pci,drive=root",
      "virtio-net-pci,netdev=access,romfile=",
      "virtio-net-pci,netdev=lan,romfile=",
      "virtio-net-pci,netdev=host,romfile=",
      "virtio-blk-pci,drive=disk1",
      "virtio-blk-pci,drive=disk2",
      "virtio-blk-pci,drive=keys,serial=limen-keys",
    ]);
    expect(r.args.slice(-7)).toEqual(["-smp", "2", "-name", "x y", "-nographic", "-serial", "mon:stdio"]);
    expect(r.stderr).toBe(
      `run.sh: once the router is up, ssh -p 2222 root@127.0.0.1 lets in the key of ${withKey}/.ssh/id_ed25519.pub\n`,
    );
  });

  it("without a key says how to make one, and starts all the same; the NIC is there without a forward", () => {
    const r = run(["--ssh-port", "2222"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("no ~/.ssh/id_*.pub to let you in over ssh: make one with ssh-keygen -t ed25519");
    expect(after(r.args, "-drive")).toHaveLength(1);
    expect(after(run([]).args, "-netdev")).toContain("user,id=host,restrict=on");
    expect(run([]).stderr).toBe("");
  });

  it("takes the key named over the default one, and reaches one host port with --host-port", () => {
    const key = join(dir, "other.pub");
    writeFileSync(key, publicKey);
    const r = run(["--authorized-key", key, "--host-port", "8443"], withKey);
    expect(r.status).toBe(0);
    expect(after(r.args, "-drive")[1]).toBe(`if=none,id=keys,format=raw,readonly=on,file=${key}`);
    expect(after(r.args, "-netdev")[2]).toBe(
      "user,id=host,restrict=on,guestfwd=tcp:10.0.2.100:8443-cmd:socat - TCP:127.0.0.1:8443",
    );
  });
});

describe("run.sh --connect", () => {
  it("joins the console socket of a background router: what it prints comes out, what is typed goes in", async () => {
    const background = join(dir, "bg");
    mkdirSync(background);
    let typed = "";
    const peers: Socket[] = [];
    const server = createServer((s) => {
      peers.push(s);
      s.on("data", (d: Buffer) => (typed += d.toString()));
      s.write("hello login: ");
    }).listen(join(background, "console"));
    const child = spawn(join(result, "run.sh"), ["--connect", background], { stdio: ["pipe", "pipe", "pipe"] });
    let shown = "";
    child.stdout.on("data", (d: Buffer) => (shown += d.toString()));
    try {
      await until(
        "the console's prompt on stdout",
        () => shown.includes("hello login: "),
        10_000,
        () => shown,
      );
      child.stdin.write("root\n");
      await until(
        "the typed line at the console",
        () => typed === "root\n",
        10_000,
        () => JSON.stringify(typed),
      );
    } finally {
      child.kill();
      for (const p of peers) p.destroy();
      server.close();
    }
  });
});
