// The boot set and the cycle check that the host's compiler and the device's svc share.
import { describe, expect, it } from "vitest";
import { bootSet, findCycle, type DependencyNode } from "../../runtime/src/svc/dependencies.ts";

const graph = (g: Record<string, [string[], boolean?]>): Map<string, DependencyNode> =>
  new Map(Object.entries(g).map(([n, [dependencies, controlled]]) => [n, { dependencies, controlled: !!controlled }]));

describe("service dependencies", () => {
  it("boot leaves out controlled services and everything that needs one, directly or not", () => {
    const g = graph({
      base: [[]],
      usb: [[], true],
      mount: [["usb"]],
      backup: [["mount", "base"]],
      dns: [["base"]],
    });
    expect(findCycle(g)).toBeNull();
    expect(bootSet(g)).toEqual(["base", "dns"]);
  });

  it("names a cycle from the service where it closes, in the order walked", () => {
    expect(findCycle(graph({ a: [["c"]], b: [["a"]], c: [["b"]], d: [[]] }))).toEqual(["a", "c", "b", "a"]);
    expect(findCycle(graph({ ok: [[]], x: [["x"]] }))).toEqual(["x", "x"]);
  });
});
