// Addresses of a built kernel's symbols, from its System.map: where a MIPS kernel is entered and
// where it looks for an appended device tree differ from build to build.
import { readFile } from "node:fs/promises";
import { hex } from "../lib/numbers.ts";

/** Symbol name → address. */
export async function readSystemMap(path: string): Promise<Map<string, number>> {
  // 64-bit MIPS builds print sign-extended addresses, beyond a double's precision: the low 32 bits are the address
  return new Map(
    (await readFile(path, "utf8"))
      .split("\n")
      .map((l) => l.split(" "))
      .filter((f) => f.length === 3)
      .map(([a, , n]) => [n, parseInt(a.slice(-8), 16)]),
  );
}

/**
 * Where U-Boot enters a MIPS kernel: `declared` (hardware.entryPoint) when the device fixes it,
 * which must be the raw-boot jump (BOOT_RAW's __kernel_entry) or kernel_entry of this build;
 * else kernel_entry, which moves from build to build. Throws saying which is wrong.
 */
export function kernelEntry(symbols: Map<string, number>, declared: number | undefined): number {
  const entries = ["__kernel_entry", "kernel_entry"]
    .map((n) => symbols.get(n))
    .filter((e): e is number => e !== undefined);
  const entry = declared ?? symbols.get("kernel_entry");
  if (entry === undefined) throw new Error("the kernel has no kernel_entry in its System.map");
  if (!entries.includes(entry))
    throw new Error(
      `hardware.entryPoint ${hex(entry)} is not the kernel's entry (${entries.map((n) => hex(n)).join(" or ")})`,
    );
  return entry;
}
