// Where U-Boot enters a MIPS kernel, read from the kernel's System.map: a device's fixed entry is
// checked against the build, and a device without one takes the build's kernel_entry.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kernelEntry, readSystemMap } from "../../image/kernel/symbols.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-symbols-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function map(lines: string[]): Promise<Map<string, number>> {
  const file = join(dir, `System.map-${lines.length}`);
  writeFileSync(file, lines.join("\n") + "\n");
  return readSystemMap(file);
}

describe("kernel entry", () => {
  it("reads 64-bit MIPS addresses by their low 32 bits", async () => {
    expect((await map(["ffffffff80534ed0 T kernel_entry"])).get("kernel_entry")).toBe(0x80534ed0);
  });

  it("takes kernel_entry when the device fixes none, and a fixed entry only where the kernel has it", async () => {
    const raw = await map(["80000400 T __kernel_entry", "80423fa0 T kernel_entry"]);
    expect(kernelEntry(raw, undefined)).toBe(0x80423fa0);
    expect(kernelEntry(raw, 0x80000400)).toBe(0x80000400);
    expect(() => kernelEntry(raw, 0x80000000)).toThrow(
      "hardware.entryPoint 0x80000000 is not the kernel's entry (0x80000400 or 0x80423fa0)",
    );
    const noEntry = await map(["80100000 T _text"]);
    expect(() => kernelEntry(noEntry, undefined)).toThrow("the kernel has no kernel_entry in its System.map");
  });
});
