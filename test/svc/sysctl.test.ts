// Kernel parameters at boot, on the real runtime (x86_64 QuickJS): what the compiler writes to
// /etc/limen/sysctl.conf is written under a fake /proc/sys (the layout's root), in order; a key
// the kernel lacks, or a line that is no setting, is a warning naming it and the rest still apply.
// `limen sysctl` runs the very function init runs before s6-svscan (the QEMU boot test shows
// init doing it on a real kernel).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig } from "../../image/config/index.ts";
import { layout } from "../../runtime/src/layout.ts";
import { testDevice } from "../config/fixtures.ts";
import { binaryPath } from "../lib/runtime.ts";

let root = "";
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A root whose /proc/sys holds these parameters (as the kernel has them: "value\n"). */
function fakeRoot(params: Record<string, string>): ReturnType<typeof layout> {
  root = mkdtempSync(join(tmpdir(), "limen-sysctl-"));
  const at = layout(root);
  for (const [path, value] of Object.entries(params)) {
    mkdirSync(dirname(join(at.procSys, path)), { recursive: true });
    writeFileSync(join(at.procSys, path), `${value}\n`);
  }
  mkdirSync(dirname(at.sysctl), { recursive: true });
  return at;
}

const sysctl = (...args: string[]) => {
  const r = spawnSync(binaryPath("x86_64"), ["sysctl", ...args], {
    env: { ...process.env, LIMEN_ROOT: root },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const read = (at: ReturnType<typeof layout>, path: string): string => readFileSync(join(at.procSys, path), "utf8");

describe("sysctl at boot", () => {
  it("writes the compiled settings, the configuration's over the router defaults, under /proc/sys", () => {
    const at = fakeRoot({
      "net/ipv4/tcp_syncookies": "0",
      "net/ipv4/icmp_echo_ignore_broadcasts": "0",
      "net/ipv4/conf/all/rp_filter": "0",
      "net/ipv4/conf/all/accept_source_route": "1",
      "net/ipv6/conf/default/accept_ra": "1",
      "net/ipv4/tcp_rmem": "4096 131072 6291456",
      "net/ipv4/conf/eth0.2/rp_filter": "0",
    });
    const sys = compile(
      evaluate(
        defineConfig({
          sysctl: {
            "net.ipv4.conf.all.rp_filter": 1,
            "net.ipv4.tcp_rmem": "4096 87380 4194304",
            "net/ipv4/conf/eth0.2/rp_filter": 2,
          },
        }),
        testDevice,
      ),
    );
    const conf = sys.files.find((f) => f.path === layout("").sysctl);
    if (conf?.type !== "file") throw new Error("no sysctl.conf in the system");
    writeFileSync(at.sysctl, conf.content);
    const r = sysctl();
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(read(at, "net/ipv4/tcp_syncookies")).toBe("1\n");
    expect(read(at, "net/ipv4/icmp_echo_ignore_broadcasts")).toBe("1\n");
    expect(read(at, "net/ipv4/conf/all/rp_filter")).toBe("1\n");
    expect(read(at, "net/ipv4/conf/all/accept_source_route")).toBe("0\n");
    expect(read(at, "net/ipv6/conf/default/accept_ra")).toBe("2\n");
    expect(read(at, "net/ipv4/tcp_rmem")).toBe("4096 87380 4194304\n");
    // a key with slashes names an interface whose name holds a dot
    expect(read(at, "net/ipv4/conf/eth0.2/rp_filter")).toBe("2\n");
  });

  it("warns naming a missing key or a malformed line, and applies the rest", () => {
    const at = fakeRoot({ "net/ipv4/tcp_syncookies": "0", "net/ipv4/ip_forward": "0" });
    writeFileSync(
      at.sysctl,
      [
        "# kernel parameters",
        "net.netfilter.nf_conntrack_max = 16384",
        "net.ipv4.tcp_syncookies = 1",
        "just words",
        "net/../../etc/passwd = x",
        "",
        "  net.ipv4.ip_forward=1  ",
      ].join("\n"),
    );
    const r = sysctl();
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      "sysctl: net.netfilter.nf_conntrack_max: no such key in this kernel",
      `sysctl: ${at.sysctl}:4: not a "key = value" line: just words`,
      `sysctl: ${at.sysctl}:5: not a "key = value" line: net/../../etc/passwd = x`,
    ]);
    expect(read(at, "net/ipv4/tcp_syncookies")).toBe("1\n");
    expect(read(at, "net/ipv4/ip_forward")).toBe("1\n");
    // nothing was created for the missing key
    expect(() => read(at, "net/netfilter/nf_conntrack_max")).toThrow(/ENOENT/);
  });

  it("does nothing without the file, and refuses arguments", () => {
    fakeRoot({});
    expect(sysctl()).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(sysctl("net.ipv4.ip_forward=1").code).toBe(100);
  });
});
