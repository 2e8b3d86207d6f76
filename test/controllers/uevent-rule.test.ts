// uevent-rule against the kernel's own uevents, under a real s6: network interfaces made in a test
// network namespace (their uevents reach only listeners inside it), a "change" event injected
// through sysfs, and a loop disk with a GPT partition label whose partition gets mounted.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureCommands } from "../../image/lib/host-programs.ts";
import { Bed, type Fixture } from "../svc/bed.ts";
import { Netns } from "../lib/netns.ts";
import { binaryPath } from "../lib/runtime.ts";
import { settle, until } from "../lib/until.ts";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function bedWith(services: Record<string, Fixture>): Promise<Bed> {
  const bed = new Bed(services);
  cleanups.push(() => bed.stop());
  await bed.start();
  return bed;
}

function netns(): Netns {
  const ns = new Netns();
  cleanups.push(() => ns.delete());
  return ns;
}

const isUp = (b: Bed, name: string): boolean =>
  (JSON.parse(b.svc("status", "--json", name).stdout) as { state: string }).state === "up";

const log = (b: Bed): string => (existsSync(b.path("ctl.log")) ? readFileSync(b.path("ctl.log"), "utf8") : "");

/** `ctl` runs `uevent-rule ARGS` (in `ns` when given); `target` is controlled; `after` needs it. */
function services(args: string, ns?: Netns): Record<string, Fixture> {
  const command = `limen uevent-rule ${args} 2>> ctl.log`;
  return {
    ctl: { type: "longrun", run: `export SERVICE=ctl; exec ${ns ? ns.exec(command) : command}` },
    target: { type: "longrun", controlled: true, run: `echo "run target" >> events; exec sleep 1000` },
    after: {
      type: "oneshot",
      dependencies: ["target"],
      up: `echo "up after" >> events`,
      down: `echo "down after" >> events`,
    },
  };
}

const both = (b: Bed, up: boolean) => () => isUp(b, "target") === up && isUp(b, "after") === up;

describe("uevent-rule on network interfaces", () => {
  it("starts the service for a device present at start (coldplug) and stops it when the device goes", async () => {
    const ns = netns();
    ns.ip("link", "add", "lmu0", "type", "veth", "peer", "name", "lmu1");
    const b = await bedWith(services("target subsystem=net interface=lmu0", ns));
    expect(b.svc("start", "ctl").code).toBe(0);
    await until("target and after up", both(b, true));
    expect(b.svc("outputs", "ctl").stdout).toBe("devpath=/devices/virtual/net/lmu0\n");
    // its peer is another device: removing the pair removes both, lmu0 among them
    ns.ip("link", "del", "lmu1");
    await until("target and after down", both(b, false));
    expect(b.svc("outputs", "ctl").stdout).toBe("");
    expect(b.events()).toEqual(["run target", "up after", "down after"]);
    expect(log(b)).toBe(
      [
        "ctl: coldplug: /devices/virtual/net/lmu0 present: starting target",
        "ctl: /devices/virtual/net/lmu0 gone: stopping target",
        "",
      ].join("\n"),
    );
  });

  it("follows devices coming and going, staying up while any matching one is present", async () => {
    const ns = netns();
    // type 1: Ethernet-like (the namespace's loopback is 772)
    const b = await bedWith(services("--attr type=1 target subsystem=net", ns));
    expect(b.svc("start", "ctl").code).toBe(0);
    await until("the coldplug line", () => log(b).includes("coldplug: no matching device"));
    ns.ip("link", "add", "lma0", "type", "veth", "peer", "name", "lma1");
    await until("target up", both(b, true));
    ns.ip("link", "add", "lmb0", "type", "veth", "peer", "name", "lmb1");
    ns.ip("link", "del", "lma0");
    await settle(500);
    expect(isUp(b, "target")).toBe(true);
    expect(b.svc("outputs", "ctl", "devpath").stdout).toMatch(/^\/devices\/virtual\/net\/lmb[01]$/);
    ns.ip("link", "del", "lmb0");
    await until("target down", both(b, false));
    expect(b.events()).toEqual(["run target", "up after", "down after"]);
  });

  it("matches sysfs attributes, re-read on a change event injected through sysfs", async () => {
    const ns = netns();
    ns.ip(
      "link",
      "add",
      "lmu0",
      "address",
      "02:00:00:00:00:02",
      "type",
      "veth",
      "peer",
      "name",
      "lmu1",
      "address",
      "02:00:00:00:00:03",
    );
    const b = await bedWith(services("--attr address=02:00:00:00:00:01 target subsystem=net", ns));
    expect(b.svc("start", "ctl").code).toBe(0);
    await until("the coldplug line", () => log(b).includes("coldplug: no matching device"));
    // changing the address sends no uevent: the rule sees it only on the next event for the device
    ns.ip("link", "set", "lmu0", "address", "02:00:00:00:00:01");
    await settle(300);
    expect(isUp(b, "target")).toBe(false);
    ns.inside("sh", "-c", "echo change > /sys/class/net/lmu0/uevent");
    await until("target up", both(b, true));
    expect(log(b)).toContain("ctl: /devices/virtual/net/lmu0 (change) matches\n");
    ns.ip("link", "set", "lmu0", "address", "02:00:00:00:00:04");
    ns.inside("sh", "-c", "echo change > /sys/class/net/lmu0/uevent");
    await until("target down", both(b, false));
  });

  it("refuses a rule without terms, a relative symlink and a malformed term", () => {
    const rule = (...args: string[]) => spawnSync(binaryPath("x86_64"), ["uevent-rule", ...args], { encoding: "utf8" });
    let r = rule("target");
    expect(r.status).toBe(100);
    expect(r.stderr).toContain("uevent-rule: no terms given: the rule would match every device");
    r = rule("--symlink", "dev/x", "target", "subsystem=block");
    expect(r.status).toBe(100);
    expect(r.stderr).toContain('uevent-rule: --symlink "dev/x" is not an absolute path');
    r = rule("target", "subsystem");
    expect(r.status).toBe(100);
    expect(r.stderr).toContain('uevent-rule: term "subsystem" is not NAME=VALUE');
  });
});

describe("uevent-rule on block devices", () => {
  it("mounts a disk when it appears, through a symlink to its device node, and unmounts it when it goes", async () => {
    ensureCommands(["mkfs.ext2", "losetup"]);
    const name = `limen-${process.pid}`;
    const dir = join(tmpdir(), `${name}-disk`);
    const link = join(tmpdir(), name);
    mkdirSync(join(dir, "content"), { recursive: true });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "content", "hello"), "hello from the stick\n");
    const image = join(dir, "disk.img");
    const run = (...argv: string[]): string => {
      const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
      return r.stdout.trim();
    };
    run("mkfs.ext2", "-q", "-F", "-d", join(dir, "content"), image, "4M");
    // (this host's kernel reads no partition tables: the whole loop disk is the "stick", known by its file)
    const b = await bedWith({
      ...services(`--symlink ${link} --attr loop/backing_file=${image} mount-srv subsystem=block`),
      "mount-srv": {
        type: "oneshot",
        controlled: true,
        up: `mkdir -p srv && mount -t ext2 ${link} srv && cat srv/hello >> events`,
        down: `umount srv && echo "unmounted" >> events`,
      },
    });
    cleanups.push(() => void spawnSync("umount", [b.path("srv")]));
    expect(b.svc("start", "ctl").code).toBe(0);
    await until("the coldplug line", () => log(b).includes("coldplug: no matching device"));
    const loop = run("losetup", "--show", "-f", image).slice("/dev/".length);
    cleanups.push(() => void spawnSync("losetup", ["-d", `/dev/${loop}`]));
    await until("mount-srv up", () => isUp(b, "mount-srv"));
    expect(readlinkSync(link)).toBe(`/dev/${loop}`);
    expect(b.events()).toEqual(["hello from the stick"]);
    expect(b.svc("outputs", "ctl").stdout).toBe(`devname=${loop}\ndevpath=/devices/virtual/block/${loop}\n`);
    // the kernel's remove event, as when a stick is pulled (a loop disk in use cannot really go)
    writeFileSync(`/sys/class/block/${loop}/uevent`, "remove");
    await until("mount-srv down", () => !isUp(b, "mount-srv"));
    expect(b.events()).toEqual(["hello from the stick", "unmounted"]);
    expect(existsSync(link)).toBe(false);
  });
});
