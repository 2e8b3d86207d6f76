// The option reference: OPTIONS.md is what `npm run docs` makes from the schemas now, and every
// option and template parameter has a one-line description for it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { baseOptions } from "../../image/config/options.ts";
import { optionsReference, serviceModules, templatesOf } from "../../image/docs/reference.ts";
import { metaOf, optionLeaves, paramLeaves, type Leaf } from "../../image/docs/walk.ts";

describe("the option reference", () => {
  it("OPTIONS.md is current (else: run npm run docs)", async () => {
    const committed = readFileSync(join(import.meta.dirname, "../../OPTIONS.md"), "utf8");
    expect(committed === (await optionsReference()), "OPTIONS.md is stale: run npm run docs").toBe(true);
  });

  it("describes every option and template parameter in one line", async () => {
    const all: { where: string; leaf: Leaf }[] = optionLeaves(baseOptions).map((leaf) => ({ where: "base", leaf }));
    for (const m of await serviceModules()) {
      all.push(...optionLeaves(m.options).map((leaf) => ({ where: `module ${m.name}`, leaf })));
      for (const t of templatesOf(m.svc))
        all.push(...paramLeaves(t.params).map((leaf) => ({ where: `template ${t.name}`, leaf })));
    }
    expect(all.length).toBeGreaterThan(150);
    const missing = all
      .filter(({ leaf }) => !/^[^\n]{10,200}$/.test(metaOf(leaf.schema).description ?? ""))
      .map(({ where, leaf }) => `${where}: ${leaf.path.join(".")}`);
    expect(missing).toEqual([]);
  });
});
