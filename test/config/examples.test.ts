// The examples evaluate and compile for the QEMU devices; the compiled database passes both the
// host's zod schema and the device's own checkDatabase.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { checkDatabase } from "../../runtime/src/svc/database.ts";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { databaseSchema } from "../../image/config/database-schema.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { loadConfig, loadDevice } from "../../image/config/load.ts";
import { systemConfiguration } from "../../image/outputs/system-configuration.ts";
import { configurationEntries } from "../../image/rootfs/system.ts";
import { layout } from "../../runtime/src/layout.ts";
import type { SecretsSpec } from "../../runtime/src/secrets/template.ts";

const onDevice = layout("");

const devices = ["qemu-aarch64", "qemu-armv7l", "qemu-mipsel"];

async function build(config: string, device: string): Promise<SystemDescription> {
  return compile(evaluate(await loadConfig(config), await loadDevice(device)));
}

function file(sys: SystemDescription, path: string) {
  const f = sys.files.find((x) => x.path === path);
  if (!f) throw new Error(`${path} is not in the system`);
  return f;
}

function content(sys: SystemDescription, path: string): string {
  const f = file(sys, path);
  if (f.type !== "file") throw new Error(`${path} is a ${f.type}`);
  return f.content;
}

function checkBothWays(sys: SystemDescription): void {
  const json: unknown = JSON.parse(content(sys, onDevice.database));
  expect(checkDatabase(json, "services.json")).toEqual(sys.database);
  expect(databaseSchema.parse(json)).toEqual(sys.database);
}

describe("examples/hello-from-qemu.ts", () => {
  it.each(devices)("compiles for %s", async (device) => {
    const sys = await build("examples/hello-from-qemu.ts", device);
    checkBothWays(sys);
    expect(sys.device.name).toBe(device);
    // the emulator facts come from the device's definition, for vmroot and run.sh
    expect(sys.emulator).toMatchObject({
      debianArch: sys.device.debianArch,
      kernelModules: ["virtio_pci", "virtio_net", "virtio_blk"],
    });
    const services = ["console", "dnsmasq", "host.link", "host.link.a.10.0.2.15", "lan.link", "lan.link.a.10.3.0.1"];
    expect(Object.keys(sys.database.services).sort()).toEqual([...services, "sshd"]);
    expect(sys.database.services["dnsmasq"].dependencies).toEqual(["lan.link.a.10.3.0.1"]);
    expect(sys.defaultServices.sort()).toEqual([...services, "sshd"]);
    expect(sys.packages.map((p) => p.package)).toEqual(["dnsmasq-base", "dropbear-bin", "iproute2", "s6"]);
    expect(sys.packages.find((p) => p.package === "iproute2")!.files).toEqual(["/bin/ip"]);
    expect(sys.kernel.config["VIRTIO_NET"]).toBe("y");
    expect(sys.busybox.applets).toEqual(expect.arrayContaining(["ip", "sh"]));
    expect(sys.hostname).toBe("hello");
    // of the device's interfaces, the LAN and run.sh's user-mode NIC (ssh from the host) are used
    expect(sys.hardware.networkInterfaces).toEqual({ lan: "lan.link", host: "host.link" });
  });

  it("has an s6 directory for each longrun and scripts for each oneshot", async () => {
    const sys = await build("examples/hello-from-qemu.ts", "qemu-aarch64");
    for (const name of ["dnsmasq", "sshd"]) {
      expect(file(sys, `${onDevice.longrun(name)}/run`)).toMatchObject({ mode: 0o755, owner: "root" });
      expect(content(sys, `${onDevice.longrun(name)}/finish`)).toContain(`rm -rf ${onDevice.outputsOf(name)}\n`);
      expect(content(sys, `${onDevice.longrun(name)}/log/run`)).toBe(`#!/bin/sh\nexec s6-log -- p${name}: 1\n`);
    }
    expect(content(sys, `${onDevice.oneshot("lan.link")}/up`)).toContain("ip link set dev eth1 up");
    expect(content(sys, `${onDevice.oneshot("lan.link")}/down`)).toContain(`rm -rf "$OUTPUTS"`);
    expect(content(sys, `${onDevice.longrun("dnsmasq")}/run`)).toContain(
      `--interface="$(output lan.link.a.10.3.0.1 ifname)"`,
    );
    expect(sys.files.some((f) => f.path.startsWith(onDevice.longrun("lan.link")))).toBe(false);
  });

  it("has accounts for root and the dnsmasq user, with the shadow file private", async () => {
    const sys = await build("examples/hello-from-qemu.ts", "qemu-aarch64");
    expect(content(sys, "/etc/passwd").split("\n")).toEqual([
      "root:x:0:0::/home/root:/bin/sh",
      "dnsmasq:x:51:51:DNS/DHCP service user:/run/dnsmasq:/bin/false",
      "",
    ]);
    expect(content(sys, "/etc/shadow")).toMatch(/^root:\$6\$6HG7/);
    expect(file(sys, "/etc/shadow")).toMatchObject({ mode: 0o600 });
    expect(content(sys, "/etc/group")).toContain("dnsmasq:x:51:dnsmasq\n");
    expect(file(sys, "/etc/dropbear")).toEqual({ path: "/etc/dropbear", type: "symlink", target: "/run/dropbear" });
    // root's home is in the image; dnsmasq's is on the /run tmpfs, made by init at boot
    expect(file(sys, "/home/root")).toMatchObject({ type: "directory", mode: 0o755, uid: 0, gid: 0 });
    expect(sys.files.some((f) => f.path === "/run/dnsmasq")).toBe(false);
  });

  it("lets root in with the keys run.sh gives at start, none built in", async () => {
    const sys = await build("examples/hello-from-qemu.ts", "qemu-aarch64");
    expect(file(sys, "/home/root/.ssh/authorized_keys")).toEqual({
      path: "/home/root/.ssh/authorized_keys",
      type: "symlink",
      target: "/run/dropbear/authorized_keys.root",
    });
    const run = content(sys, `${onDevice.longrun("sshd")}/run`);
    expect(run).toContain(`= limen-keys ]; then tr -d '\\000' < "/dev/\${d##*/}"; fi`);
    expect(run).toContain("} > /run/dropbear/authorized_keys.root\n)\nchown root /run/dropbear/authorized_keys.root\n");
    expect(run).not.toContain("secrets render");
    expect(sys.files.some((f) => f.path === onDevice.secretSpecOf("sshd"))).toBe(false);
  });
});

describe("examples/demo.ts", () => {
  it.each(devices)("compiles for %s", async (device) => {
    const sys = await build("examples/demo.ts", device);
    checkBothWays(sys);
    const db = sys.database.services;
    // each member joins through its own ifwait, as a controlled service of the bridge and the member
    expect(db["int.bridge.members"].dependencies.sort()).toEqual([
      "int.bridge.member.lan.link.ifwait",
      "int.bridge.member.wlan.link.hostapd.ifwait",
    ]);
    expect(db["int.bridge.member.lan.link.ifwait"].dependencies).toEqual(["lan.link"]);
    expect(db["int.bridge.member.lan.link"].dependencies.sort()).toEqual(["int.bridge", "lan.link"]);
    expect(db["int.bridge.member.lan.link"].controlled).toBe(true);
    expect(db["wan.link.pppoe"].dependencies).toEqual(["wan.link"]);
    expect(db["wan.link.pppoe.dhcp6c"].dependencies).toEqual(["wan.link.pppoe"]);
    expect(db["int.bridge.prefix6"].outputRefs).toContainEqual({ service: "wan.link.pppoe.dhcp6c", path: "prefixes" });
    // the ruleset loads before any interface is up; each zone member joins when its interface does
    expect(db["firewall"].dependencies).toEqual([]);
    expect(db["firewall.wan.wan.link.pppoe"].dependencies.sort()).toEqual(["firewall", "wan.link.pppoe"]);
    expect(db["firewall.lan.int.bridge"].dependencies.sort()).toEqual(["firewall", "int.bridge"]);
    // all start at boot but the members' joins, which their ifwaits start
    expect(Object.keys(db).filter((s) => !sys.defaultServices.includes(s))).toEqual([
      "int.bridge.member.lan.link",
      "int.bridge.member.wlan.link.hostapd",
    ]);
    expect(sys.rootfsType).toBe("squashfs");
    expect(sys.packages.map((p) => p.package)).toEqual([
      "chrony",
      "dhcpcd-base",
      "dnsmasq-base",
      "dropbear-bin",
      "hostapd",
      "iproute2",
      "nftables",
      "ppp",
      "s6",
      "tcpdump",
      "wireless-regdb:all",
    ]);
    expect(sys.kernel.config).toMatchObject({
      BRIDGE: "y",
      PPPOE: "y",
      NF_TABLES: "y",
      MAC80211: "y",
      VIRTIO_NET: "y",
    });
    expect(content(sys, onDevice.secretSpecOf("wlan.link.hostapd"))).toContain(
      '"wpa_passphrase=not a real wifi password\\n"',
    );
    // its literal secrets are in no script, nor in any file others may read
    for (const secret of ["not a real wifi password", "NotReallyTheSecret", "db123@a.1"]) {
      const open = sys.files.filter((f) => f.type === "file" && f.content.includes(secret) && (f.mode & 0o077) !== 0);
      expect(open.map((f) => f.path)).toEqual([]);
    }
    expect(content(sys, "/etc/limen/chrony/ntp.conf")).toBe(
      "pool pool.ntp.org iburst\nmakestep 1 3\nallow 10.8.0.0/16\ndumpdir /run/chrony\n",
    );
    expect(content(sys, "/etc/limen/firewall/firewall.nft")).toContain("oifname @wan masquerade");
    expect(content(sys, `${onDevice.longrun("sshd")}/run`)).toContain("-g");
  });
});

describe("examples/rotuer.ts", () => {
  it("records each service's template and parameters: its role without reading scripts", async () => {
    const sys = await build("examples/rotuer.ts", "qemu-aarch64");
    const [wan] = sys.services["wan.link.pppoe"].templates;
    expect(wan.name).toBe("pppoe");
    expect(wan.module?.name).toBe("ppp");
    expect(wan.module?.file).toMatch(/^services\/ppp\/index\.ts:\d+$/);
    expect(wan.params).toMatchObject({
      interface: "wan.link",
      username: { service: "secrets", path: "ppp/username" },
      lcpEcho: { interval: 5, failure: 4 },
    });
    // built by the gateway profile, whose bundle records its own parameters
    expect(sys.services["wan.link.pppoe"].origin).toMatch(/^services\/profiles\/gateway\.ts:\d+$/);
    expect(sys.services["gateway"].origin).toMatch(/^examples\/rotuer\.ts:\d+$/);
    expect(sys.services["gateway"].templates[0]).toMatchObject({
      name: "gateway",
      module: { name: "gateway" },
      params: { wan: { type: "pppoe", interface: "wan.link" }, lan: { ifname: "int", address: "10.8.0.1" } },
    });
    expect(sys.services["firewall"].templates[0].params).toMatchObject({
      zones: { lan: ["int.bridge"], wan: ["wan.link.pppoe"] },
    });
    expect(sys.services["sshd"].templates[0].params).toMatchObject({ port: 22 });
    expect(sys.services["dnsmasq"].templates[0].params).toMatchObject({ hosts: { nas: { v4: "10.8.0.9" } } });
    // the secrets store says where the external secrets come from, for tools such as the lab
    expect(sys.services["secrets"].templates[0]).toMatchObject({
      name: "secrets.store",
      params: { device: "/dev/vdb", fstype: "ext4", folder: "/secrets" },
    });
    expect(Object.keys(sys.services)).toEqual(Object.keys(sys.database.services));
    // JSON-safe: the description survives a round trip unchanged
    expect(JSON.parse(JSON.stringify(sys.services))).toEqual(sys.services);
  });

  it.each(devices)("compiles for %s", async (device) => {
    const sys = await build("examples/rotuer.ts", device);
    checkBothWays(sys);
    const db = sys.database.services;
    expect(db["int.bridge.members"].dependencies.sort()).toEqual([
      "int.bridge.member.lan.link.ifwait",
      "int.bridge.member.wlan.link.hostapd.ifwait",
      "int.bridge.member.wlan5.link.hostapd.ifwait",
    ]);
    // The secrets reach PPP and both access points as output references, never as literals.
    expect(db["wan.link.pppoe"].outputRefs).toEqual(
      expect.arrayContaining([
        { service: "secrets", path: "ppp/username" },
        { service: "secrets", path: "ppp/password" },
      ]),
    );
    expect(db["wan.link.pppoe"].dependencies).toContain("secrets");
    // nothing faces the WAN or is forwarded before the ruleset is loaded
    expect(db["wan.link.pppoe"].dependencies).toContain("firewall");
    expect(db["forwarding"].dependencies).toEqual(["firewall"]);
    expect(db["firewall"].dependencies).toEqual([]);
    for (const ap of ["wlan.link.hostapd", "wlan5.link.hostapd"]) {
      expect(db[ap].outputRefs).toContainEqual({ service: "secrets", path: "wifi/passphrase" });
      // the passphrase from the store is written into hostapd.conf, one line, for root alone
      const conf = (JSON.parse(content(sys, onDevice.secretSpecOf(ap))) as SecretsSpec).files["hostapd.conf"];
      expect(conf).toMatchObject({ mode: 0o600, uid: 0 });
      const hole = conf.parts.findIndex((p) => typeof p !== "string" && p.path === "wifi/passphrase");
      expect(conf.parts.slice(hole - 1, hole + 1)).toEqual([
        "wpa_passphrase=",
        { service: "secrets", path: "wifi/passphrase", as: "line" },
      ]);
      expect(content(sys, `${onDevice.longrun(ap)}/run`)).toContain(`hostapd ${onDevice.secretsOf(ap)}/hostapd.conf`);
    }
    // the access points are ready once up (the bridge takes them only then), with the kernel's
    // cfg80211 and CCMP, and the radios' driver comes with the device's links
    for (const ap of ["wlan.link.hostapd", "wlan5.link.hostapd"])
      expect(db[ap]).toMatchObject({ notificationFd: 3, kernelModules: ["cfg80211", "ctr", "ccm"] });
    for (const link of ["wlan.link", "wlan5.link"]) expect(db[link].kernelModules).toEqual(["mac80211_hwsim"]);
    // the regulatory database where the kernel's firmware loader looks, as Debian's alternatives would link it
    expect(file(sys, "/lib/firmware/regulatory.db")).toMatchObject({
      type: "symlink",
      target: "regulatory.db-upstream",
    });
    expect(sys.packages).toContainEqual({
      package: "wireless-regdb:all",
      files: ["/lib/firmware/regulatory.db-upstream", "/lib/firmware/regulatory.db.p7s-upstream"],
    });
    expect(db["secrets"]).toMatchObject({
      type: "oneshot",
      dependencies: [],
      outputs: ["ppp/username", "ppp/password", "wifi/passphrase"],
    });
    // root's built-in key, and on an emulated router the key run.sh is given, assembled at start
    expect(file(sys, "/home/root/.ssh/authorized_keys")).toMatchObject({
      type: "symlink",
      target: "/run/dropbear/authorized_keys.root",
    });
    const sshd = content(sys, `${onDevice.longrun("sshd")}/run`);
    expect(sshd).toMatch(/dropbear -F -E -r \/run\/dropbear\/dropbear_ed25519_host_key -p 22 -s -g -j -k$/m);
    expect(sshd).toContain("for d in /sys/block/vd*; do");
    // the built-in key, rendered at start from the secret spec
    expect(content(sys, onDevice.secretSpecOf("sshd"))).toContain("ssh-ed25519 AAAA");
    // the catch-all logger's settings, as init and svc log read them
    const logging: unknown = JSON.parse(content(sys, onDevice.logging));
    expect(logging).toEqual({
      version: 1,
      directory: "/run/log",
      script: ["t", "s100000", "n10"],
    });
    expect(sys.packages.find((p) => p.package === "iproute2")!.files).toEqual([
      "/bin/ip",
      "/bin/ss",
      "/sbin/bridge",
      "/sbin/tc",
    ]);
  });
});

describe("examples/access-point.ts", () => {
  it.each(devices)("compiles for %s", async (device) => {
    const sys = await build("examples/access-point.ts", device);
    checkBothWays(sys);
    const db = sys.database.services;
    // both wired ports and the access point in one bridge, each joining by its own ifwait
    expect(db["int.bridge.members"].dependencies.sort()).toEqual([
      "int.bridge.member.lan.link.ifwait",
      "int.bridge.member.wan.link.ifwait",
      "int.bridge.member.wlan.link.hostapd.ifwait",
    ]);
    // its own address by DHCP on the tagged management VLAN over the bridge, none on the bridge itself
    expect(sys.services["int.10.link"].templates[0]).toMatchObject({
      name: "vlan",
      params: { ifname: "int.10", primary: "int.bridge", vid: 10 },
    });
    expect(db["int.10.link.dhcpc"].dependencies).toEqual(["int.10.link"]);
    expect(db["route.default"].dependencies).toEqual(["int.10.link", "int.10.link.dhcpc"]);
    expect(Object.keys(db).filter((n) => n.startsWith("int.bridge.a."))).toEqual([]);
    expect(db["int.10.link"].kernelModules).toEqual(["8021q"]);
    expect(db["wlan.link.hostapd"].outputRefs).toContainEqual({ service: "secrets", path: "wifi/passphrase" });
    // no router's pieces: nothing serves DHCP, translates or forwards
    for (const name of ["dnsmasq", "firewall", "forwarding"]) expect(db[name]).toBeUndefined();
  });
});

describe("the system's own files through the systemConfiguration output", () => {
  const out = mkdtempSync(join(tmpdir(), "limen-files-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("are written with their modes, owners listed by id", async () => {
    const sys = await build("examples/hello-from-qemu.ts", "qemu-mipsel");
    await systemConfiguration(sys, configurationEntries(sys), out);
    expect(statSync(`${layout(join(out, "root")).longrun("sshd")}/run`).mode & 0o777).toBe(0o755);
    expect(statSync(join(out, "root/etc/shadow")).mode & 0o777).toBe(0o600);
    expect(readlinkSync(join(out, "root/etc/dropbear"))).toBe("/run/dropbear");
    expect(readFileSync(join(out, "owners"), "utf8")).toContain("\n/etc/shadow f 600 0 0\n");
  });
});

describe("npm run image --output manifest", () => {
  const work = mkdtempSync(join(tmpdir(), "limen-cli-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  // a folder npm run image makes (an existing one that is not a result is refused)
  const out = join(work, "result");
  const cli = (...args: string[]) =>
    promisify(execFile)("npx", ["tsx", "image/main.ts", "--output", "manifest", ...args], { encoding: "utf8" });

  it("writes the system description as system.json", async () => {
    await cli("--config", "examples/hello-from-qemu.ts", "--device", "qemu-mipsel", "--out", out);
    const sys = JSON.parse(readFileSync(join(out, "system.json"), "utf8")) as SystemDescription;
    expect(sys.device).toEqual({ name: "qemu-mipsel", cpu: "mipsel", debianArch: "mipsel" });
    // it holds /etc/shadow's hashes and any literal secret: for its builder alone
    expect(statSync(join(out, "system.json")).mode & 0o777).toBe(0o600);
    expect(sys).toEqual(JSON.parse(JSON.stringify(await build("examples/hello-from-qemu.ts", "qemu-mipsel"))));
  });

  it("rejects a bad device name and names the argument", async () => {
    await expect(cli("--config", "examples/hello-from-qemu.ts", "--device", "../etc", "--out", out)).rejects.toThrow(
      /--device: must be a device name/,
    );
  });

  it("refuses a configuration loaded as CommonJS, saying how to fix it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "limen-cjs-"));
    const config = join(dir, "router.ts");
    writeFileSync(
      config,
      `import { defineConfig } from ${JSON.stringify(join(process.cwd(), "image/config/index.ts"))};\nexport default defineConfig({ hostname: "cjs" });\n`,
    );
    try {
      await expect(cli("--config", config, "--device", "qemu-aarch64", "--out", out)).rejects.toThrow(
        /default export: was loaded as CommonJS.*name it \.mts/,
      );
      renameSync(config, join(dir, "router.mts"));
      await cli("--config", join(dir, "router.mts"), "--device", "qemu-aarch64", "--out", out);
      expect(JSON.parse(readFileSync(join(out, "system.json"), "utf8"))).toMatchObject({ hostname: "cjs" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports a configuration error with its file and path", async () => {
    await expect(cli("--config", "examples/missing.ts", "--device", "qemu-aarch64", "--out", out)).rejects.toThrow(
      /configuration error: examples\/missing\.ts: \(file\): configuration file does not exist/,
    );
  });
});
