// The pppoe template's credentials: never on pppd's command line (which /proc shows every user)
// nor in its run script, but in a secret file of pppd options rendered at start for root alone,
// each value one pppd word however it is spelt; a literal with a line break is refused at build.
import { describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, oneshot, outputRef } from "../../image/config/index.ts";
import ppp from "../../services/ppp/index.ts";
import { layout } from "../../runtime/src/layout.ts";
import { formatValue, Refused, type SecretsSpec } from "../../runtime/src/secrets/template.ts";
import { failure, testDevice } from "./fixtures.ts";

const onDevice = layout("");
const eth = oneshot({ name: "wan", outputs: ["ifname"], up: `echo eth0 > "$OUTPUTS/ifname"` });
const vault = oneshot({ name: "vault", outputs: ["ppp/username", "ppp/password"], up: "true" });

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
