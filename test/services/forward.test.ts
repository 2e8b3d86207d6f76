// network.forward with the sysctl defaults, on a real kernel in a network namespace of the test's
// own: `limen sysctl` (what init runs at boot) writes the compiled defaults through a root whose
// /proc is the real one, then the forward oneshot's compiled scripts run there. Interfaces that
// took router advertisements (accept_ra 1) keep taking them once IPv6 forwarding is on (2), one
// set to 0 stays 0, and an interface made later starts at 2 from the default.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig } from "../../image/config/index.ts";
import network from "../../services/network/index.ts";
import { layout } from "../../runtime/src/layout.ts";
import { testDevice } from "../config/fixtures.ts";
import { Netns } from "../lib/netns.ts";
import { binaryPath } from "../lib/runtime.ts";

const onDevice = layout("");

function text(sys: SystemDescription, path: string): string {
  const f = sys.files.find((x) => x.path === path);
  if (f?.type !== "file") throw new Error(`${path} is not a file of the system`);
  return f.content;
}

describe("network.forward over the sysctl defaults", () => {
  const ns = new Netns();
  const root = mkdtempSync(join(tmpdir(), "limen-forward-"));
  afterAll(() => {
    ns.delete();
    rmSync(root, { recursive: true, force: true });
  });
  const sys = compile(
    evaluate(defineConfig({ imports: [network], services: { forwarding: network.svc.forward.build({}) } }), testDevice),
  );
  const param = (path: string): string => ns.inside("cat", `/proc/sys/net/${path}`).trim();
  /** A compiled script of the forward oneshot, run as its service runs it, inside the namespace. */
  const script = (name: "up" | "down"): void => {
    const path = join(root, name);
    writeFileSync(path, text(sys, `${onDevice.oneshot("forwarding")}/${name}`));
    ns.inside("sh", path);
  };

  it("keeps router advertisements on the interfaces that took them, once IPv6 forwarding is on", () => {
    ns.ip("link", "add", "wan0", "type", "veth", "peer", "name", "isp0");
    ns.ip("link", "add", "lan0", "type", "veth", "peer", "name", "client0");
    ns.inside("sh", "-c", "echo 0 > /proc/sys/net/ipv6/conf/lan0/accept_ra");
    expect([param("ipv6/conf/wan0/accept_ra"), param("ipv6/conf/default/accept_ra")]).toEqual(["1", "1"]);

    // the root's /proc is the namespace's: limen sysctl writes the kernel's parameters
    mkdirSync(join(root, "etc/limen"), { recursive: true });
    symlinkSync("/proc", join(root, "proc"));
    writeFileSync(join(root, onDevice.sysctl), text(sys, onDevice.sysctl));
    const applied = spawnSync("ip", ["netns", "exec", ns.name, binaryPath("x86_64"), "sysctl"], {
      env: { ...process.env, LIMEN_ROOT: root },
      encoding: "utf8",
    });
    // every default is a parameter a network namespace of this kernel has
    expect([applied.status, applied.stderr]).toEqual([0, ""]);
    expect(param("ipv4/conf/all/rp_filter")).toBe("2");
    expect(param("ipv6/conf/default/accept_ra")).toBe("2");

    script("up");
    expect([param("ipv4/conf/all/forwarding"), param("ipv6/conf/all/forwarding")]).toEqual(["1", "1"]);
    expect(param("ipv6/conf/wan0/forwarding")).toBe("1");
    expect(param("ipv6/conf/wan0/accept_ra")).toBe("2");
    expect(param("ipv6/conf/lan0/accept_ra")).toBe("0");
    ns.ip("link", "add", "ppp0", "type", "veth", "peer", "name", "peer0");
    expect([param("ipv6/conf/ppp0/forwarding"), param("ipv6/conf/ppp0/accept_ra")]).toEqual(["1", "2"]);

    script("down");
    expect([param("ipv4/conf/all/forwarding"), param("ipv6/conf/all/forwarding")]).toEqual(["0", "0"]);
  });
});
