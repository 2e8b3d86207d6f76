// Secret files: the configuration holds templates with outputRef holes, the image only those;
// `secrets render` fills them at service start from the outputs, into files owned by the
// service's user and closed to everyone else, and never prints a value.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { ConfigError } from "../../image/config/errors.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, longrun, oneshot, outputRef, secretText } from "../../image/config/index.ts";
import ssh from "../../services/ssh/index.ts";
import { testDevice, testKeys } from "../config/fixtures.ts";
import { Bed } from "../svc/bed.ts";
import type { SecretsSpec } from "../../runtime/src/secrets/template.ts";
import { layout } from "../../runtime/src/layout.ts";
import { settle } from "../lib/until.ts";

const onDevice = layout("");

function fileOf(sys: SystemDescription, path: string) {
  const f = sys.files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} is not in the system`);
  return f;
}

function textOf(sys: SystemDescription, path: string): string {
  const f = fileOf(sys, path);
  if (f.type !== "file") throw new Error(`${path} is a ${f.type}, not a file`);
  return f.content;
}

describe("secret files in the configuration", () => {
  const vault = longrun({ name: "vault", run: "exec fetch-secrets", outputs: ["ssh/keys", "wifi/psk"] });

  it("are templates in the image: holes name outputs, the service renders them at start and clears them at stop", () => {
    const sshd = ssh.svc.ssh.build({
      allowPasswordLogin: false,
      authorizedKeys: { root: { home: "/home/root", keys: outputRef(vault, "ssh/keys") } },
    });
    const sys = compile(evaluate(defineConfig({ imports: [ssh], services: { vault, sshd } }), testDevice));
    expect(JSON.parse(textOf(sys, onDevice.secretSpecOf("sshd")))).toEqual({
      version: 1,
      files: {
        "authorized_keys.root": {
          uid: 0,
          gid: 0,
          mode: 0o400,
          parts: [{ service: "vault", path: "ssh/keys", as: "ssh-public-keys" }],
        },
      },
    });
    expect(fileOf(sys, "/home/root/.ssh/authorized_keys")).toEqual({
      path: "/home/root/.ssh/authorized_keys",
      type: "symlink",
      target: `${onDevice.secretsOf("sshd")}/authorized_keys.root`,
    });
    expect(textOf(sys, `${onDevice.longrun("sshd")}/run`)).toContain(
      `limen secrets render "$SERVICE" || exit 1\nmkdir -p /run/dropbear\n`,
    );
    expect(textOf(sys, `${onDevice.longrun("sshd")}/finish`)).toContain(`rm -rf ${onDevice.secretsOf("sshd")}\n`);
    expect(sys.database.services["sshd"]).toMatchObject({
      dependencies: ["vault"],
      outputRefs: [{ service: "vault", path: "ssh/keys" }],
    });
  });

  it("literal keys go the same way, and clash clearly with keys given in users", () => {
    const sshd = ssh.svc.ssh.build({
      authorizedKeys: { root: { home: "/home/root", keys: [testKeys[0], testKeys[1]] } },
    });
    const sys = compile(evaluate(defineConfig({ imports: [ssh], services: { sshd } }), testDevice));
    const spec = JSON.parse(textOf(sys, onDevice.secretSpecOf("sshd"))) as SecretsSpec;
    expect(spec.files["authorized_keys.root"]?.parts).toEqual([`${testKeys[0]}\n`, `${testKeys[1]}\n`]);
    const both = defineConfig({
      imports: [ssh],
      services: { sshd },
      users: { root: { openssh: { authorizedKeys: { keys: [testKeys[2]] } } } },
    });
    expect(() => compile(evaluate(both, testDevice))).toThrow(
      /\/home\/root\/\.ssh\/authorized_keys is also written by/,
    );
  });

  it("with fromRunScript, join run.sh's keys at each start; without keys or it, are refused", () => {
    const sshd = ssh.svc.ssh.build({
      authorizedKeys: { root: { home: "/home/root", keys: outputRef(vault, "ssh/keys"), fromRunScript: true } },
    });
    const sys = compile(evaluate(defineConfig({ imports: [ssh], services: { vault, sshd } }), testDevice));
    const joined = "/run/dropbear/authorized_keys.root";
    expect(fileOf(sys, "/home/root/.ssh/authorized_keys")).toMatchObject({ type: "symlink", target: joined });
    const run = textOf(sys, `${onDevice.longrun("sshd")}/run`);
    // the rendered secret, then the key disk, into a file root alone reads, before dropbear starts
    const secret = `${onDevice.secretsOf("sshd")}/authorized_keys.root`;
    const start = run.indexOf(`limen secrets render "$SERVICE" || exit 1\nmkdir -p /run/dropbear\n`);
    expect(run.indexOf("fi\n(\n  umask 077\n", start)).toBeGreaterThan(start);
    expect(start).toBeGreaterThan(0);
    expect(run.slice(start)).toContain(`  {\n    cat ${secret}\n    for d in /sys/block/vd*; do\n`);
    expect(run.slice(start)).toContain(`  } > ${joined}\n)\nchown root ${joined}\nexec dropbear `);
    const none = ssh.svc.ssh.build({ authorizedKeys: { root: { home: "/home/root" } } });
    expect(() => evaluate(defineConfig({ imports: [ssh], services: { sshd: none } }), testDevice)).toThrow(
      /services\.sshd\.authorizedKeys\.root: needs keys or fromRunScript/,
    );
  });

  it("refuse an unknown owner, a mode open to others and a name that is a path", () => {
    const make = (secrets: Record<string, unknown>) => () =>
      compile(
        evaluate(
          defineConfig({
            services: { vault, app: longrun({ name: "app", run: "exec app", secrets: secrets as never }) },
          }),
          testDevice,
        ),
      );
    expect(make({ conf: { content: outputRef(vault, "wifi/psk"), owner: "nobody" } })).toThrow(
      /services\.app\.secrets\.conf: owner "nobody" is not a user of the system/,
    );
    expect(make({ conf: { content: "x", mode: 0o644 } })).toThrow(ConfigError);
    expect(make({ conf: { content: "x", mode: 0o644 } })).toThrow(/must give no access to group or others/);
    expect(make({ "../conf": { content: "x" } })).toThrow(
      /services\.app\.secrets\["\.\.\/conf"\]: a secret file name is one path component/,
    );
  });
});

describe("secrets render on the device", () => {
  // A oneshot's spec from the real compiler, with a non-root owner: holes between literal text.
  const vault = oneshot({ name: "vault", up: "true", outputs: ["wifi/psk", "user"] });
  const app = longrun({
    name: "app",
    run: "exec app",
    secrets: {
      "hostapd.conf": {
        content: secretText`ssid=limen\nwpa_passphrase=${outputRef(vault, "wifi/psk")}\nuser=${outputRef(vault, "user")}\n`,
        owner: "app",
        group: "app",
        mode: 0o400,
      },
    },
  });
  const sys = compile(
    evaluate(
      defineConfig({
        services: { vault, app },
        users: { app: { uid: 4321, gid: 4322 } },
        groups: { app: { gid: 4322 } },
      }),
      testDevice,
    ),
  );
  const spec = (fileOf(sys, onDevice.secretSpecOf("app")) as { content: string }).content;
  const bed = new Bed({
    vault: { type: "oneshot", up: "output --set vault wifi/psk 'correct horse' && output --set vault user admin" },
    // as the compiled run script does, with the bed's root in front of /run
    app: {
      type: "longrun",
      dependencies: ["vault"],
      outputRefs: sys.database.services["app"].outputRefs,
      notificationFd: 3,
      run: `limen secrets render app || exit 1\necho app started\necho >&3\nexec sleep 1000`,
      // the compiled finish, its /run under the bed's root (the bed's scripts start there)
      finish: textOf(sys, `${onDevice.longrun("app")}/finish`)
        .replace("#!/bin/sh\n", "")
        .replaceAll(" /run/", " run/"),
    },
  });
  const rendered = join(bed.layout.secretsOf("app"), "hostapd.conf");
  const render = () => spawnSync("limen", ["secrets", "render", "app"], { env: bed.env, encoding: "utf8" });
  beforeAll(async () => {
    mkdirSync(bed.layout.secretSpecs, { recursive: true });
    writeFileSync(bed.layout.secretSpecOf("app"), spec);
    await bed.start();
  });
  afterAll(() => bed.stop());

  it("fills the holes at start into a file only the service's user reads", async () => {
    expect(bed.svc("start", "app").code).toBe(0);
    for (let i = 0; i < 100 && !bed.svc("log", "app").stdout.includes("app started"); i++) await settle(50);
    expect(readFileSync(rendered, "utf8")).toBe("ssid=limen\nwpa_passphrase=correct horse\nuser=admin\n");
    const st = statSync(rendered);
    expect({ mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }).toEqual({ mode: 0o400, uid: 4321, gid: 4322 });
    // the folder is the files' one owner's alone
    const dir = statSync(bed.layout.secretsOf("app"));
    expect({ mode: dir.mode & 0o7777, uid: dir.uid, gid: dir.gid }).toEqual({ mode: 0o700, uid: 4321, gid: 4322 });
    expect(bed.svc("log").stdout).not.toContain("correct horse");
  });

  it("refuses a value with a line break: the log names the output, not the value; it stays down, svc status says why", async () => {
    const set = (key: string, value: string) => spawnSync("output", ["--set", "vault", key, value], { env: bed.env });
    set("user", "admin");
    set("wifi/psk", "x\nwpa_passphrase=chosen by the attacker");
    expect(bed.svc("restart", "app").code).toBe(1);
    const reason = `${rendered}: output wifi/psk of vault holds a line break or NUL: refused`;
    const status = JSON.parse(bed.svc("--json", "status", "app").stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ name: "app", state: "down", refused: reason });
    expect(bed.svc("status", "app").stdout).toMatch(new RegExp(`^app down longrun .*refused: ${reason}\n$`));
    // s6 does not start it again, and nothing of the value reached the log or a file
    await settle(1500);
    expect(bed.svc("status", "app").stdout).toContain("app down longrun");
    expect(bed.svc("log", "app").stdout).toContain(`secrets: ${reason}\n`);
    expect(bed.svc("log").stdout).not.toContain("attacker");
    expect(existsSync(rendered)).toBe(false);
    // trailing line breaks are dropped, as $(...) did: the value is fixed, it starts, the reason is gone
    set("wifi/psk", "fixed\n\n");
    expect(bed.svc("start", "app").code).toBe(0);
    expect(readFileSync(rendered, "utf8")).toBe("ssid=limen\nwpa_passphrase=fixed\nuser=admin\n");
    expect(bed.svc("status", "app").stdout).not.toContain("refused");
  });

  it("with an output missing fails naming the output, not a value, and keeps the last file", () => {
    spawnSync("output", ["--set", "vault", "wifi/psk", "battery staple"], { env: bed.env });
    expect(render().status).toBe(0);
    expect(readFileSync(rendered, "utf8")).toContain("wpa_passphrase=battery staple\n");
    spawnSync("rm", ["-f", join(bed.layout.outputsOf("vault"), "user")]);
    spawnSync("output", ["--set", "vault", "wifi/psk", "never written"], { env: bed.env });
    const r = render();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `secrets: ${join(bed.layout.secretsOf("app"), "hostapd.conf")}: vault has no output user (yet)\n`,
    );
    expect(readFileSync(rendered, "utf8")).toContain("wpa_passphrase=battery staple\n");
  });

  it("refuses a malformed template, naming the file and the field", () => {
    writeFileSync(
      bed.layout.secretSpecOf("app"),
      JSON.stringify({ version: 1, files: { conf: { uid: 0, gid: 0, mode: 0o644, parts: [] } } }),
    );
    const r = render();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `secrets: ${bed.layout.secretSpecOf("app")}: files.conf.mode: must give no access to group or others\n`,
    );
    writeFileSync(bed.layout.secretSpecOf("app"), spec);
  });
});

describe("ssh keys that arrive as outputs, rendered on the device", () => {
  // the ssh template's own spec: authorized keys and a host key, both from a vault's outputs
  const vault = oneshot({ name: "vault", up: "true", outputs: ["ssh/keys", "ssh/host_key"] });
  const sshd = ssh.svc.ssh.build({
    hostKey: outputRef(vault, "ssh/host_key"),
    authorizedKeys: { root: { home: "/home/root", keys: outputRef(vault, "ssh/keys") } },
  });
  const sys = compile(evaluate(defineConfig({ imports: [ssh], services: { vault, sshd } }), testDevice));
  const keys = mkdtempSync(join(tmpdir(), "limen-ssh-render-"));
  /** A new ed25519 key's private key file (as ssh-keygen writes it, with a passphrase if given). */
  const privateKey = (name: string, passphrase = ""): string => {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", join(keys, name)]);
    return readFileSync(join(keys, name), "utf8");
  };
  const hostKey = privateKey("host");
  const bed = new Bed({
    // what the test put in the bed's root: the vault's secrets, as a secrets service publishes them
    vault: {
      type: "oneshot",
      outputs: ["ssh/keys", "ssh/host_key"],
      up: "output --set vault ssh/keys < keys && output --set vault ssh/host_key < host_key",
    },
    sshd: {
      type: "longrun",
      dependencies: ["vault"],
      outputRefs: sys.database.services["sshd"].outputRefs,
      notificationFd: 3,
      run: `limen secrets render sshd || exit 1\necho sshd started\necho >&3\nexec sleep 1000`,
      finish: textOf(sys, `${onDevice.longrun("sshd")}/finish`)
        .replace("#!/bin/sh\n", "")
        .replaceAll(" /run/", " run/"),
    },
  });
  const rendered = (name: string) => join(bed.layout.secretsOf("sshd"), name);
  const set = (key: string, value: string) =>
    spawnSync("output", ["--set", "vault", key], { env: bed.env, input: value }).status;
  const refusal = () => (JSON.parse(bed.svc("--json", "status", "sshd").stdout) as { refused?: string }).refused;
  beforeAll(async () => {
    mkdirSync(bed.layout.secretSpecs, { recursive: true });
    writeFileSync(bed.layout.secretSpecOf("sshd"), textOf(sys, onDevice.secretSpecOf("sshd")));
    writeFileSync(join(bed.root, "keys"), `# the admins\n${testKeys[0]}\n\n  # and a spare\n${testKeys[1]}`);
    writeFileSync(join(bed.root, "host_key"), hostKey);
    await bed.start();
  });
  afterAll(async () => {
    await bed.stop();
    rmSync(keys, { recursive: true, force: true });
  });

  it("writes the host key as ssh-keygen made it and the keys as given (a line break ending them), root's alone", () => {
    expect(bed.svc("start", "sshd").code).toBe(0);
    expect(readFileSync(rendered("ssh_host_ed25519_key"), "utf8")).toBe(hostKey);
    expect(readFileSync(rendered("authorized_keys.root"), "utf8")).toBe(
      `# the admins\n${testKeys[0]}\n\n  # and a spare\n${testKeys[1]}\n`,
    );
    for (const name of ["ssh_host_ed25519_key", "authorized_keys.root"]) {
      const st = statSync(rendered(name));
      expect({ mode: st.mode & 0o7777, uid: st.uid }).toEqual({ mode: 0o400, uid: 0 });
    }
  });

  it("refuses a key line that is not one public key: the reason names the output and the line, never the value", async () => {
    expect(set("ssh/keys", `${testKeys[0]}\n# ok\ncommand="nc attacker 1" ${testKeys[2]}\n`)).toBe(0);
    expect(bed.svc("restart", "sshd").code).toBe(1);
    const reason = `${rendered("authorized_keys.root")}: output ssh/keys of vault line 3 must start with a key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com): refused`;
    expect(refusal()).toBe(reason);
    await settle(1500);
    expect(bed.svc("status", "sshd").stdout).toMatch(/^sshd down longrun .*refused: /);
    expect(bed.svc("log", "sshd").stdout).toContain(`secrets: ${reason}\n`);
    expect(bed.svc("log").stdout).not.toContain("attacker");
    // a key whose blob names another type is refused too, naming only the types
    set("ssh/keys", testKeys[1].replace("ssh-ed25519", "ssh-rsa"));
    expect(bed.svc("start", "sshd").code).toBe(1);
    expect(refusal()).toContain(
      `output ssh/keys of vault line 1 holds a key that is not ssh-rsa ("ssh-ed25519"): refused`,
    );
    set("ssh/keys", `${testKeys[1]}\n`);
    expect(bed.svc("start", "sshd").code).toBe(0);
    expect(refusal()).toBeUndefined();
  });

  it.each([
    [
      "a key with a passphrase",
      () => privateKey("locked", "a passphrase"),
      /is protected by a passphrase, which sshd cannot type/,
    ],
    ["a public key", () => readFileSync(join(keys, "host.pub"), "utf8"), /is not an OpenSSH private key/],
    [
      "a key cut short",
      () => hostKey.split("\n").slice(0, 3).concat(hostKey.split("\n").slice(-2)).join("\n"),
      /truncated or damaged/,
    ],
  ])(
    "refuses %s as the host key: the service stays down, and nothing of the value is logged",
    async (_, value, problem) => {
      const text = value();
      expect(set("ssh/host_key", text)).toBe(0);
      expect(bed.svc("restart", "sshd").code).toBe(1);
      const reason = refusal();
      expect(reason).toMatch(new RegExp(`^${rendered("ssh_host_ed25519_key")}: output ssh/host_key of vault `));
      expect(reason).toMatch(problem);
      await settle(1500);
      expect(bed.svc("status", "sshd").stdout).toMatch(/^sshd down longrun /);
      const log = bed.svc("log").stdout;
      for (const line of text.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----")))
        expect(log).not.toContain(line);
      expect(existsSync(rendered("ssh_host_ed25519_key"))).toBe(false);
      set("ssh/host_key", hostKey);
      expect(bed.svc("start", "sshd").code).toBe(0);
    },
  );
});
