import { cpu } from "limen:native";
import { equal, type Suite } from "./assert";

export const engine: Suite = {
  // Big-endian builds leave out the engine's precompiled little-endian library functions
  // instead of shipping bytecode that cannot load there.
  "bytecode built-ins exist exactly where their byte order matches": async () => {
    const bigEndian = cpu === "mips";
    const arrayCtor = Array as unknown as { fromAsync?: (it: AsyncIterable<number>) => Promise<number[]> };
    equal(typeof arrayCtor.fromAsync, bigEndian ? "undefined" : "function", "Array.fromAsync");
    if (!bigEndian) {
      async function* two(): AsyncGenerator<number> {
        yield 1;
        yield 2;
      }
      equal(await arrayCtor.fromAsync!(two()), [1, 2], "Array.fromAsync result");
    }
  },
};
