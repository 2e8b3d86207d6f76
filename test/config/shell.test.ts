// Shell escaping, checked by running the generated text with a real shell.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import {
  defineConfig,
  defineModule,
  longrun,
  outputRef,
  replaceable,
  sh,
  shellQuote,
  template,
  z,
} from "../../image/config/index.ts";
import { systemConfiguration } from "../../image/outputs/system-configuration.ts";
import { configurationEntries } from "../../image/rootfs/system.ts";
import { testDevice } from "./fixtures.ts";
import { layout } from "../../runtime/src/layout.ts";

const nasty = [
  "",
  "two words",
  "it's",
  '"double"',
  "$HOME",
  "`id`",
  "$(id)",
  "a\nb",
  "back\\slash",
  "*",
  "-n",
  "semi;colon",
  "tab\there",
  "ünïcode",
  "'",
  "''",
  "end\\",
];

function shell(script: string, env: Record<string, string> = {}): string {
  return execFileSync("/bin/sh", ["-c", script], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...env },
  });
}

const tmp = mkdtempSync(join(tmpdir(), "limen-shell-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("shell escaping", () => {
  it("shellQuote keeps every string one word, byte for byte", () => {
    for (const s of nasty) expect(shell(`printf '%s' ${shellQuote(s)}`)).toBe(s);
  });

  it("the sh tag turns a list into one word per element", () => {
    const out = shell(sh`printf '%s\\0' ${nasty}`);
    expect(out.split("\0").slice(0, -1)).toEqual(nasty);
  });

  it("an outputRef stays one word whatever the output holds", () => {
    const svc = longrun({ name: "src", run: "exec true", outputs: ["dir"] });
    // made in the service that reads it, which records the reference
    const user = longrun({ name: "user", run: () => sh`printf '[%s]' ${outputRef(svc, "dir/key")}` });
    const spec = user.realize(["user"]);
    expect(spec.outputRefs.map((r) => [r.service, r.path])).toEqual([[svc, "dir/key"]]);
    const fn = `output() { printf '%s' "$VALUE"; }\n`;
    const out = shell(fn + spec.run!, { VALUE: "spaced  out * 'q'" });
    expect(out).toBe("[spaced  out * 'q']");
  });

  it("a template parameter with spaces and quotes reaches the daemon as one argument", async () => {
    const say = template("say", z.strictObject({ message: replaceable(z.string()) }), (p) =>
      longrun({ name: "say", run: sh`exec printf '<%s>' ${p.message}` }),
    );
    const m = defineModule({ name: "say", svc: { say } });
    for (const message of nasty) {
      const sys = compile(
        evaluate(defineConfig({ imports: [m], services: { say: say.build({ message }) } }), testDevice),
      );
      const out = mkdtempSync(join(tmp, "say-"));
      await systemConfiguration(sys, configurationEntries(sys), out);
      const run = `${layout(join(out, "root")).longrun("say")}/run`;
      expect(execFileSync(run, { encoding: "utf8" })).toBe(`<${message}>`);
    }
  });

  it.each(["hello-from-qemu", "demo", "rotuer"])("every script of examples/%s.ts is valid shell", async (example) => {
    const { loadConfig, loadDevice } = await import("../../image/config/load.ts");
    const sys = compile(evaluate(await loadConfig(`examples/${example}.ts`), await loadDevice("qemu-aarch64")));
    const scripts = sys.files.filter((f) => f.type === "file" && f.content.startsWith("#!/bin/sh"));
    expect(scripts.length).toBeGreaterThan(5);
    const out = join(tmp, example);
    mkdirSync(out);
    await systemConfiguration(sys, configurationEntries(sys), out);
    for (const f of scripts) execFileSync("/bin/sh", ["-n", join(out, "root", f.path)]);
  });
});
