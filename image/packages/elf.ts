// What an ELF executable or library needs at load time: its interpreter and DT_NEEDED sonames.
import { run } from "../lib/run.ts";

export interface ElfNeeds {
  interpreter: string | undefined;
  needed: string[];
}

/** Reads the program headers and dynamic section with binutils' readelf (it reads every target's ELF). */
export async function elfNeeds(path: string): Promise<ElfNeeds | undefined> {
  const { stdout } = await run(["readelf", "--program-headers", "--dynamic", "--wide", path]).catch((e: Error) => {
    throw new Error(`${path} is not a readable ELF file: ${e.message}`);
  });
  if (/Not an ELF file/i.test(stdout)) return undefined;
  return {
    interpreter: /Requesting program interpreter: ([^\]]+)\]/.exec(stdout)?.[1],
    needed: [...stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]),
  };
}

export async function isElf(path: string): Promise<boolean> {
  const { open } = await import("node:fs/promises");
  const f = await open(path, "r");
  try {
    const b = Buffer.alloc(4);
    await f.read(b, 0, 4, 0);
    return b.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    await f.close();
  }
}
