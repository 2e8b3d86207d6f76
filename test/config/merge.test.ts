import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigError } from "../../image/config/errors.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { mergeDefinitions } from "../../image/config/merge.ts";
import { defineConfig, defineModule } from "../../image/config/module.ts";
import { testDevice } from "./fixtures.ts";

describe("merging definitions", () => {
  it("concatenates lists, merges records and keeps equal scalars", () => {
    const m = mergeDefinitions([
      { source: "a.ts", value: { list: [1, 2], rec: { x: 1 }, same: "v" } },
      { source: "b.ts", value: { list: [3], rec: { y: 2 }, same: "v" } },
    ]);
    expect(m.value).toEqual({ list: [1, 2, 3], rec: { x: 1, y: 2 }, same: "v" });
    expect(m.sourceOf(["list", 2])).toBe("b.ts");
    expect(m.sourceOf(["list", 0])).toBe("a.ts");
    expect(m.sourceOf(["rec", "y"])).toBe("b.ts");
  });

  it("does not change the definitions it merges", () => {
    const first = { list: [1], rec: { x: 1 } };
    mergeDefinitions([
      { source: "a.ts", value: first },
      { source: "b.ts", value: { list: [2], rec: { y: 1 } } },
    ]);
    expect(first).toEqual({ list: [1], rec: { x: 1 } });
  });

  it("rejects two different scalars, naming the path and both sources", () => {
    const merge = () =>
      mergeDefinitions([
        { source: "a.ts", value: { n: { v: 1 } } },
        { source: "b.ts", value: { n: { v: 2 } } },
      ]);
    expect(merge).toThrow(ConfigError);
    expect(merge).toThrow(/^b\.ts: n\.v: conflicting values: 2 here, 1 in a\.ts$/);
  });

  it("merges a module's contributions with the user's configuration", () => {
    const mod = defineModule({
      name: "extra",
      options: { extra: { level: z.number().int().default(1), names: z.array(z.string()).default([]) } },
      config: { extra: { names: ["from-module"] }, packages: ["chrony"], kernel: { config: { BRIDGE: "y" } } },
    });
    const ev = evaluate(
      defineConfig({
        imports: [mod],
        extra: { level: 3, names: ["from-user"] },
        packages: ["dropbear-bin"],
        kernel: { config: { TMPFS: "y" } },
      }),
      testDevice,
    );
    const extra = ev.options["extra"] as { level: number; names: string[] };
    expect(extra).toEqual({ level: 3, names: ["from-module", "from-user"] });
    const [s6, ...others] = ev.options.packages;
    expect(others).toEqual(["chrony", "dropbear-bin"]);
    expect(typeof s6 === "object" && s6.name === "s6" && s6.files).toContain("/usr/bin/s6-svscan");
    expect(ev.options.kernel.config).toEqual({ BRIDGE: "y", TMPFS: "y" });
  });

  it("types and checks a module's options in the configuration that imports it", () => {
    const mod = defineModule({ name: "typed", options: { typed: { level: z.number().int().max(9).default(1) } } });
    // @ts-expect-error level is a number
    const wrong = defineConfig({ imports: [mod], typed: { level: "high" } });
    expect(() => evaluate(wrong, testDevice)).toThrow(
      /merge\.test\.ts:\d+: typed\.level: Invalid input: expected number/,
    );
    // @ts-expect-error without the import there is no such option
    const unimported = defineConfig({ typed: { level: 2 } });
    expect(() => evaluate(unimported, testDevice)).toThrow(/typed: unknown option/);
  });

  it("adds nothing from a module that is not imported", async () => {
    const ntp = (await import("../../services/ntp/index.ts")).default;
    const without = evaluate(defineConfig({}), testDevice);
    const withIt = evaluate(defineConfig({ imports: [ntp] }), testDevice);
    expect(without.options.packages).not.toContain("chrony");
    expect(Object.keys(without.options.users)).toEqual(["root"]);
    expect(withIt.options.packages).toContain("chrony");
    expect(Object.keys(withIt.options.users).sort()).toEqual(["ntp", "root"]);
  });

  it("rejects a conflicting hostname from a module, naming the module's file and the config's", () => {
    const mod = defineModule({ name: "named", config: { hostname: "one" } });
    const run = () => evaluate(defineConfig({ imports: [mod], hostname: "two" }), testDevice);
    expect(run).toThrow(
      /merge\.test\.ts:\d+: hostname: conflicting values: "two" here, "one" in test\/config\/merge\.test\.ts:\d+/,
    );
  });
});
