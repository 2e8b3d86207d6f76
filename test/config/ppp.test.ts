// The PPP templates' credentials (pppoe's, l2tp's): never on pppd's command line (which /proc
// shows every user) nor in its run script, but in a secret file of pppd options rendered at start
// for root alone, each value one pppd word however it is spelt; a literal with a line break is
// refused at build. L2TP's LNS goes into xl2tpd's configuration, rendered at start too.
import { describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, oneshot, outputRef } from "../../image/config/index.ts";
import ppp from "../../services/ppp/index.ts";
import l2tp from "../../services/ppp/l2tp.ts";
import { layout } from "../../runtime/src/layout.ts";
import { formatValue, Refused, type SecretsSpec } from "../../runtime/src/secrets/template.ts";
import { failure, testDevice } from "./fixtures.ts";

const onDevice = layout("");
const eth = oneshot({ name: "wan", outputs: ["ifname"], up: `echo eth0 > "$OUTPUTS/ifname"` });
const vault = oneshot({ name: "vault", outputs: ["ppp/username", "ppp/password", "l2tp/lns"], up: "true" });

function system(params: Omit<Parameters<typeof ppp.svc.pppoe.build>[0], "interface">): SystemDescription {
  const wan = ppp.svc.pppoe.build({ interface: eth, ...params });
  return compile(evaluate(defineConfig({ imports: [ppp], services: { eth, vault, wan } }), testDevice));
}

function file(sys: SystemDescription, path: string) {
  const f = sys.files.find((e) => e.path === path);
  if (f?.type !== "file") throw new Error(`no file ${path}`);
  return f;
}

describe("pppd's credentials", () => {
  it("from outputRefs are a secret options file named by `file`, never arguments", () => {
    const sys = system({ username: outputRef(vault, "ppp/username"), password: outputRef(vault, "ppp/password") });
    const run = file(sys, `${onDevice.longrun("wan.pppoe")}/run`).content;
    expect(run).toMatch(/ file \/run\/secrets\/wan\.pppoe\/credentials$/m);
    expect(run).not.toMatch(/password|ppp\/username|ppp\/password| user /);
    const spec = file(sys, onDevice.secretSpecOf("wan.pppoe"));
    expect(spec.mode).toBe(0o600);
    expect((JSON.parse(spec.content) as SecretsSpec).files).toEqual({
      credentials: {
        uid: 0,
        gid: 0,
        mode: 0o600,
        parts: [
          "user ",
          { service: "vault", path: "ppp/username", as: "pppd" },
          "\n",
          "password ",
          { service: "vault", path: "ppp/password", as: "pppd" },
          "\n",
        ],
      },
    });
    // rendered before pppd starts, and a refused value keeps the service down
    expect(run).toContain(`limen secrets render "$SERVICE" || exit 1\n`);
    expect(file(sys, `${onDevice.longrun("wan.pppoe")}/finish`).content).toContain(
      `[ ! -e ${onDevice.refusedOf("wan.pppoe")} ] || exit 125\n`,
    );
    expect(sys.database.services["wan.pppoe"].dependencies).toContain("vault");
  });

  it("given as literals take the same way, quoted for pppd's reader", () => {
    const sys = system({ username: "db123@a.1", password: 'with space, "quote" and \\' });
    const run = file(sys, `${onDevice.longrun("wan.pppoe")}/run`).content;
    expect(run).not.toContain("db123");
    expect(run).not.toContain("quote");
    const spec = JSON.parse(file(sys, onDevice.secretSpecOf("wan.pppoe")).content) as SecretsSpec;
    expect(spec.files["credentials"].parts).toEqual([
      'user "db123@a.1"\n',
      'password "with space, \\"quote\\" and \\\\"\n',
    ]);
  });

  it("without any, pppd gets no file", () => {
    const sys = system({});
    expect(file(sys, `${onDevice.longrun("wan.pppoe")}/run`).content).not.toContain(" file ");
    expect(sys.files.some((f) => f.path === onDevice.secretSpecOf("wan.pppoe"))).toBe(false);
  });

  it("refuses a literal with a line break at build, naming the option", () => {
    const e = failure(() => system({ username: "lab", password: "one\nnoauth" }));
    expect(e.path).toBe("services.wan.password");
    expect(e.problem).toMatch(/must be one line/);
  });
});

function l2tpSystem(params: Omit<Parameters<typeof l2tp.svc.l2tp.build>[0], "upstream">): SystemDescription {
  const wan = l2tp.svc.l2tp.build({ upstream: eth, ...params });
  return compile(evaluate(defineConfig({ imports: [l2tp], services: { eth, vault, wan } }), testDevice));
}

describe("the l2tp template", () => {
  it("gives xl2tpd the LNS from an outputRef, one line of its rendered configuration", () => {
    const sys = l2tpSystem({ lns: outputRef(vault, "l2tp/lns"), password: outputRef(vault, "ppp/password") });
    const run = file(sys, `${onDevice.longrun("l2tp")}/run`).content;
    expect(run).toMatch(/^exec s6-notifyoncheck .* xl2tpd -D -c \/run\/secrets\/l2tp\/xl2tpd\.conf /m);
    expect(run).not.toMatch(/password|ppp\//);
    const spec = JSON.parse(file(sys, onDevice.secretSpecOf("l2tp")).content) as SecretsSpec;
    expect(spec.files["xl2tpd.conf"].parts).toContainEqual({ service: "vault", path: "l2tp/lns", as: "line" });
    expect(spec.files["credentials"].parts).toEqual([
      "password ",
      { service: "vault", path: "ppp/password", as: "pppd" },
      "\n",
    ]);
    // xl2tpd starts pppd: PPPoE's options, the credentials by `file`, its log on stderr
    const options = file(sys, "/etc/limen/ppp/l2tp/options").content;
    expect(options).toContain('"ifname" "ppp0"\n"ip-up-script" "/etc/limen/ppp/l2tp/ip-up"\n');
    expect(options).toContain('"file" "/run/secrets/l2tp/credentials"\n"logfd" "2"\n');
    expect(sys.database.services["l2tp"]).toMatchObject({
      dependencies: ["wan", "vault"],
      outputs: ["ifname", "address", "peer-address", "dns"],
      kernelModules: ["l2tp_core", "l2tp_ppp"],
    });
  });

  it("writes a literal LNS as it is", () => {
    const sys = l2tpSystem({ lns: "lns.example.net", "ppp-options": ["mtu", "1400"] });
    const spec = JSON.parse(file(sys, onDevice.secretSpecOf("l2tp")).content) as SecretsSpec;
    expect(spec.files["xl2tpd.conf"].parts.filter((x) => typeof x === "string").join("")).toContain(
      "\nlns = lns.example.net\n",
    );
    expect(file(sys, "/etc/limen/ppp/l2tp/options").content).toContain('"mtu" "1400"\n');
  });

  it("refuses an LNS or a pppd option that would add lines to a file, naming the option", () => {
    for (const [params, path, problem] of [
      [{ lns: "192.0.2.1\nredial = no" }, "services.wan.lns", /must be a host name/],
      [
        { lns: "lns.example.net", "ppp-options": ["mtu 1400\nnoauth"] },
        "services.wan.ppp-options[0]",
        /must be one line/,
      ],
    ] as const) {
      const e = failure(() =>
        l2tpSystem({ ...params, "ppp-options": "ppp-options" in params ? [...params["ppp-options"]] : [] }),
      );
      expect(e.path).toBe(path);
      expect(e.problem).toMatch(problem);
    }
  });
});

describe("a value in a secret file's format", () => {
  it("is one line for line-oriented files: trailing line breaks dropped as $(...) did, any other refused", () => {
    expect(formatValue("psk\n\n", "line")).toBe("psk");
    for (const bad of ["a\nb", "a\rb", "a\0b", "a\r\n"]) expect(() => formatValue(bad, "line")).toThrow(Refused);
    expect(() => formatValue("a\nb", "pppd")).toThrow("holds a line break or NUL");
    expect(formatValue("a\nb\n", "text")).toBe("a\nb\n");
  });

  it('is one double-quoted word for pppd: its reader takes \\ and " escaped, # and spaces as they are', () => {
    expect(formatValue('p#ss w\\o"rd\n', "pppd")).toBe('"p#ss w\\\\o\\"rd"');
  });
});
