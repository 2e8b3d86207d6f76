// Addresses of a built kernel's symbols, from its System.map: where a MIPS kernel is entered and
// where it looks for an appended device tree differ from build to build.
import { readFile } from "node:fs/promises";

/** Symbol name → address. */
export async function readSystemMap(path: string): Promise<Map<string, number>> {
  // 64-bit MIPS builds print sign-extended addresses, beyond a double's precision: the low 32 bits are the address
  return new Map((await readFile(path, "utf8")).split("\n").map((l) => l.split(" ")).filter((f) => f.length === 3).map(([a, , n]) => [n!, parseInt(a!.slice(-8), 16)]));
}

/** The addresses a MIPS kernel can be entered at: the raw-boot jump (BOOT_RAW), then kernel_entry. */
export function entryPoints(symbols: Map<string, number>): number[] {
  return ["__kernel_entry", "kernel_entry"].map((n) => symbols.get(n)).filter((e): e is number => e !== undefined);
}
