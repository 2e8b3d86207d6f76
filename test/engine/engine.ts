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
      // eslint-disable-next-line @typescript-eslint/require-await -- Array.fromAsync's test input
      async function* two(): AsyncGenerator<number> {
        yield 1;
        yield 2;
      }
      equal(await arrayCtor.fromAsync!(two()), [1, 2], "Array.fromAsync result");
    }
  },
  // The device runs only precompiled bytecode: its engine is built without the parser (a tenth
  // of the binary), so source text cannot be compiled there while JSON still parses.
  "the engine has no JavaScript parser, JSON.parse still works": () => {
    let compiled = true;
    try {
      (0, eval)("1 + 1");
    } catch {
      compiled = false;
    }
    equal(compiled, false, "eval of source text");
    equal(JSON.parse('{"a":[1,"x"]}'), { a: [1, "x"] }, "JSON.parse");
  },
};
