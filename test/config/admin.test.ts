// The options of a system a person administers: /etc/hosts from `hosts`, /etc/limen/sysctl.conf
// from `sysctl` over the router defaults, and the admin applets that programs.busybox.adminApplets
// links or leaves out. Bad values stop evaluation naming the option.
import { describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig } from "../../image/config/index.ts";
import { adminApplets } from "../../image/config/admin-applets.ts";
import { formatPath } from "../../image/config/errors.ts";
import { routerDefaults } from "../../image/config/sysctl.ts";
import { layout } from "../../runtime/src/layout.ts";
import { failure, testDevice } from "./fixtures.ts";

const onDevice = layout("");

const system = (c: ReturnType<typeof defineConfig>): SystemDescription => compile(evaluate(c, testDevice));

function text(sys: SystemDescription, path: string): string {
  const f = sys.files.find((x) => x.path === path);
  if (f?.type !== "file") throw new Error(`${path} is not a file of the system`);
  return f.content;
}

describe("hosts", () => {
  it("puts localhost first, then the host name on 127.0.1.1, then the configuration's names", () => {
    const sys = system(
      defineConfig({ hostname: "gw", hosts: { "10.8.0.20": ["nas", "nas.lan"], "fd00::20": ["nas6"] } }),
    );
    expect(text(sys, onDevice.hosts)).toBe(
      "127.0.0.1 localhost\n::1 localhost\n127.0.1.1 gw\n10.8.0.20 nas nas.lan\nfd00::20 nas6\n",
    );
    expect(onDevice.hosts).toBe("/etc/hosts");
  });

  it("leaves 127.0.1.1 out when an entry names the host, so dnsmasq answers its real address", () => {
    const sys = system(defineConfig({ hostname: "gw", hosts: { "10.8.0.1": ["gw"] } }));
    expect(text(sys, onDevice.hosts)).toBe("127.0.0.1 localhost\n::1 localhost\n10.8.0.1 gw\n");
  });

  it("is the one writer of /etc/hosts: a filesystem entry for it is a conflict naming both", () => {
    const e = failure(() =>
      system(defineConfig({ filesystem: { "/etc/hosts": { type: "file", content: "127.0.0.1 localhost\n" } } })),
    );
    expect(e.path).toBe("hosts");
    expect(e.problem).toMatch(
      /^\/etc\/hosts is also written by filesystem\["\/etc\/hosts"\] .* with different content$/,
    );
  });

  it("refuses an address that is neither IPv4 nor IPv6, naming it", () => {
    const e = failure(() => system(defineConfig({ hosts: { "10.0.0.300": ["nas"] } })));
    expect(e.path).toBe('hosts["10.0.0.300"]');
    expect(e.problem).toBe("must be an IPv4 or IPv6 address (without a zone)");
    expect(failure(() => system(defineConfig({ hosts: { "fe80::1%eth0": ["x"] } }))).path).toBe(
      'hosts["fe80::1%eth0"]',
    );
  });

  it("refuses a name that is not a host name, and an address without names", () => {
    for (const bad of ["-nas", "nas_1", "a..b", `${"a".repeat(64)}.lan`, "nas lan"]) {
      const e = failure(() => system(defineConfig({ hosts: { "10.0.0.3": [bad] } })));
      expect(e.path).toBe('hosts["10.0.0.3"][0]');
      expect(e.problem).toMatch(/^must be a host name/);
    }
    const empty = failure(() => system(defineConfig({ hosts: { "::1": [] } })));
    expect([empty.path, empty.problem]).toEqual(['hosts["::1"]', "must give at least one name"]);
  });
});

describe("sysctl", () => {
  it("writes the router defaults by default, one `key = value` line each, sorted", () => {
    const conf = text(system(defineConfig({})), onDevice.sysctl);
    expect(onDevice.sysctl).toBe("/etc/limen/sysctl.conf");
    expect(conf).toBe(
      [
        "net.ipv4.conf.all.accept_source_route = 0",
        "net.ipv4.conf.all.rp_filter = 2",
        "net.ipv4.icmp_echo_ignore_broadcasts = 1",
        "net.ipv4.tcp_syncookies = 1",
        "net.ipv6.conf.default.accept_ra = 2",
        "",
      ].join("\n"),
    );
    expect(conf.trim().split("\n")).toHaveLength(Object.keys(routerDefaults).length);
  });

  it("lets the configuration's values win over the defaults and adds its own keys", () => {
    const conf = text(
      system(
        defineConfig({
          sysctl: {
            "net.ipv4.conf.all.rp_filter": 1,
            "net.ipv4.tcp_rmem": "4096 131072 6291456",
            "net/ipv4/conf/eth0.2/rp_filter": 0,
          },
        }),
      ),
      onDevice.sysctl,
    );
    expect(conf).toContain("net.ipv4.conf.all.rp_filter = 1\n");
    expect(conf).not.toContain("rp_filter = 2");
    expect(conf).toContain("net.ipv4.tcp_rmem = 4096 131072 6291456\n");
    expect(conf).toContain("net/ipv4/conf/eth0.2/rp_filter = 0\n");
    expect(conf).toContain("net.ipv4.tcp_syncookies = 1\n");
  });

  it("refuses a key that is not a sysctl key, naming it", () => {
    for (const bad of ["ip_forward", "net..ipv4", "net/../../etc/passwd", "net.ipv4.ip forward", "/net/ipv4"]) {
      const e = failure(() => system(defineConfig({ sysctl: { [bad]: 1 } })));
      expect(e.path).toBe(formatPath(["sysctl", bad]));
      expect(e.problem).toMatch(/^must be a sysctl key/);
    }
  });

  it("refuses a value that would not stay one line of the file", () => {
    for (const bad of ["1\nnet.ipv4.ip_forward = 1", "", "  ", "a = b", "1 # on"]) {
      const e = failure(() => system(defineConfig({ sysctl: { "net.ipv4.ip_forward": bad } })));
      expect(e.path).toBe('sysctl["net.ipv4.ip_forward"]');
      expect(e.problem).toBe("must be a value on one line, without = or #");
    }
    // @ts-expect-error a value is a number or a string
    const e = failure(() => system(defineConfig({ sysctl: { "net.ipv4.ip_forward": true } })));
    expect(e.path).toBe('sysctl["net.ipv4.ip_forward"]');
  });
});

describe("programs.busybox.adminApplets", () => {
  it("links the admin applets by default, and only what the system asks for when false", () => {
    const on = system(defineConfig({})).busybox.applets;
    for (const a of ["ps", "top", "kill", "free", "df", "du", "uptime", "dmesg", "ping", "ping6", "traceroute"])
      expect(on).toContain(a);
    for (const a of ["nslookup", "wget", "vi", "less", "grep", "sed", "awk", "touch", "cp", "mv", "date"])
      expect(on).toContain(a);
    const off = system(defineConfig({ programs: { busybox: { adminApplets: false } } })).busybox.applets;
    expect(off).toEqual(["cat", "echo", "ln", "mkdir", "mount", "rm", "sh"]);
    expect(on).toEqual([...new Set([...off, ...adminApplets])].sort());
  });

  it("keeps an applet a module asks for when the admin set is off", () => {
    const sys = system(defineConfig({ programs: { busybox: { adminApplets: false, applets: ["cp"] } } }));
    expect(sys.busybox.applets).toContain("cp");
    expect(sys.busybox.applets).not.toContain("ps");
  });
});
