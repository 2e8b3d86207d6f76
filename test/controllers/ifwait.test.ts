// ifwait against real interfaces: a veth pair in a network namespace of the test's own, going up
// and down, starts and stops a controlled service (and what needs it) under a real s6.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Bed, type Fixture } from "../svc/bed.ts";
import { Netns } from "../lib/netns.ts";
import { binaryPath, targets } from "../lib/runtime.ts";
import { settle, until } from "../lib/until.ts";

let bed: Bed | null = null;
let ns: Netns | null = null;
afterEach(async () => {
  await bed?.stop();
  ns?.delete();
  bed = null;
  ns = null;
});

/**
 * A controller `ctl` running `ifwait ARGS` in the namespace (with `limen`, or another command
 * for it), a controlled `target` and `after` that needs it.
 */
async function start(args: string, limen = "limen"): Promise<{ bed: Bed; ns: Netns }> {
  ns = new Netns();
  const services: Record<string, Fixture> = {
    ctl: { type: "longrun", run: `export SERVICE=ctl; exec ${ns.exec(`${limen} ifwait ${args} 2>> ctl.log`)}` },
    target: { type: "longrun", controlled: true, run: `echo "run target" >> events; exec sleep 1000` },
    after: {
      type: "oneshot",
      dependencies: ["target"],
      up: `echo "up after" >> events`,
      down: `echo "down after" >> events`,
    },
  };
  bed = new Bed(services);
  await bed.start();
  return { bed, ns };
}

const isUp = (b: Bed, name: string): boolean =>
  (JSON.parse(b.svc("status", "--json", name).stdout) as { state: string }).state === "up";

/** Waits (up to 10 s) until `target` and `after` are both up or both down. */
async function bothUp(b: Bed, up: boolean): Promise<void> {
  await until(`target and after ${up ? "up" : "down"}`, () => isUp(b, "target") === up && isUp(b, "after") === up);
}

const log = (b: Bed): string => (existsSync(b.path("ctl.log")) ? readFileSync(b.path("ctl.log"), "utf8") : "");

describe("ifwait", () => {
  it("starts the service when the interface is up with a carrier and stops it when the carrier goes", async () => {
    const { bed: b, ns: n } = await start("lmv0 target");
    expect(b.svc("start", "ctl").code).toBe(0);
    await until("the controller to log the absent interface", () => log(b).includes("absent"), 5_000);
    expect(log(b)).toBe("ctl: lmv0 absent: stopping target\n");
    n.ip("link", "add", "lmv0", "type", "veth", "peer", "name", "lmv1");
    n.ip("link", "set", "lmv0", "up");
    await settle(500);
    // up but without a carrier: its peer is down
    expect(isUp(b, "target")).toBe(false);
    n.ip("link", "set", "lmv1", "up");
    await bothUp(b, true);
    n.ip("link", "set", "lmv1", "down");
    await bothUp(b, false);
    n.ip("link", "set", "lmv1", "up");
    await bothUp(b, true);
    n.ip("link", "del", "lmv0");
    await bothUp(b, false);
    expect(b.events()).toEqual(["run target", "up after", "down after", "run target", "up after", "down after"]);
    // one line for each change of what is wanted (deleted, the link first goes down)
    expect(log(b).split("\n")).toEqual([
      "ctl: lmv0 absent: stopping target",
      "ctl: lmv0 up, running: starting target",
      "ctl: lmv0 up: stopping target",
      "ctl: lmv0 up, running: starting target",
      "ctl: lmv0 down: stopping target",
      "",
    ]);
  });

  it("finds the interface's state when it starts, and follows --state up and renames", async () => {
    const { bed: b, ns: n } = await start("--state up lmv0 target");
    n.ip("link", "add", "lmv0", "type", "veth", "peer", "name", "lmv1");
    n.ip("link", "set", "lmv0", "up");
    expect(b.svc("start", "ctl").code).toBe(0);
    await bothUp(b, true);
    n.ip("link", "set", "lmv0", "down");
    await bothUp(b, false);
    n.ip("link", "set", "lmv0", "up");
    await bothUp(b, true);
    // renamed away (it must be down for that), it is gone for us; a new interface under the name counts again
    n.ip("link", "set", "lmv0", "down");
    n.ip("link", "set", "lmv0", "name", "other0");
    n.ip("link", "set", "other0", "up");
    // (were it followed by its index, the rename and up would start it again)
    await settle(500);
    await bothUp(b, false);
    n.ip("link", "set", "lmv1", "name", "lmv0");
    n.ip("link", "set", "lmv0", "up");
    await bothUp(b, true);
  });

  it("starts what it controls again after it was restarted, from the state it finds", async () => {
    const { bed: b, ns: n } = await start("--state present lmv0 target");
    n.ip("link", "add", "lmv0", "type", "veth", "peer", "name", "lmv1");
    expect(b.svc("start", "ctl").code).toBe(0);
    await bothUp(b, true);
    expect(b.svc("stop", "ctl").code).toBe(0);
    n.ip("link", "del", "lmv0");
    // the controller was away when the interface went: back, it stops the service
    expect(b.svc("start", "ctl").code).toBe(0);
    await bothUp(b, false);
  });

  it("reads the kernel's messages in the CPU's byte order: big-endian MIPS under qemu-user", async () => {
    const mips = targets.find((t) => t.cpu === "mips")!;
    const { bed: b, ns: n } = await start("--state up lmv0 target", `${mips.qemu} ${binaryPath("mips")}`);
    n.ip("link", "add", "lmv0", "type", "veth", "peer", "name", "lmv1");
    expect(b.svc("start", "ctl").code).toBe(0);
    await settle(1000);
    expect(isUp(b, "target")).toBe(false);
    n.ip("link", "set", "lmv0", "up");
    await bothUp(b, true);
    n.ip("link", "del", "lmv0");
    await bothUp(b, false);
    expect(log(b).split("\n")).toEqual([
      "ctl: lmv0 down: stopping target",
      "ctl: lmv0 up: starting target",
      "ctl: lmv0 down: stopping target",
      "",
    ]);
  });

  it("refuses a bad state or interface name with a usage error", () => {
    const ifwait = (...args: string[]) => spawnSync(binaryPath("x86_64"), ["ifwait", ...args], { encoding: "utf8" });
    let r = ifwait("--state", "sideways", "lmv0", "target");
    expect(r.status).toBe(100);
    expect(r.stderr).toContain('ifwait: --state "sideways" is not one of present, up, running');
    r = ifwait("a-name-much-too-long", "target");
    expect(r.status).toBe(100);
    expect(r.stderr).toContain('ifwait: "a-name-much-too-long" is not an interface name');
    r = ifwait("lmv0");
    expect(r.status).toBe(100);
    expect(r.stderr).toContain("ifwait: expects an interface and a service");
  });
});
