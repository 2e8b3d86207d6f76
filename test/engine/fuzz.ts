// Mutation fuzzing of the device's parsers inside the real engine: each parser gets `count`
// inputs made from its seeds (real captures) by a seeded PRNG, and must either return or throw
// an Error with a message of its own. A TypeError, RangeError, ReferenceError, SyntaxError or
// InternalError anywhere in the error's cause chain is a bug in the parser (it tripped over the
// input rather than saying what is wrong with it), and so is an input taking over a second: one
// that never returns is stopped there (limen:test's callWithin), so the run goes on and names it.
import { callWithin } from "limen:test";
import { concat } from "../../runtime/src/lib/bytes";
import type { Target } from "./fuzz-targets";

/** Mulberry32: small, fast, and the same sequence on every CPU for a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const extremes = [
  "0",
  "-1",
  "4294967295",
  "4294967296",
  "9007199254740993",
  "1e308",
  "-1e309",
  "0.5",
  "NaN",
  "99999999999",
];
const interesting = [0x00, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x22, 0x40, 0x2e, 0x3a, 0x7b, 0x5b];

/** One mutation of `seed`, sometimes spliced with `other`; several rounds now and then. */
export function mutate(seed: Uint8Array, other: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(random() * n);
  let b: Uint8Array = seed.slice();
  for (let round = 1 + (random() < 0.3 ? pick(8) : 0); round > 0; round--) {
    const at = pick(b.length + 1);
    switch (pick(8)) {
      case 0: // bit flip
        if (b.length > 0) b[Math.min(at, b.length - 1)] ^= 1 << pick(8);
        break;
      case 1: {
        // insert a byte, random or one that parsers care about
        const x = random() < 0.5 ? pick(256) : interesting[pick(interesting.length)];
        b = concat([b.subarray(0, at), Uint8Array.of(x), b.subarray(at)]);
        break;
      }
      case 2: // delete a run
        b = concat([b.subarray(0, at), b.subarray(at + 1 + pick(16))]);
        break;
      case 3: {
        // duplicate a run in place
        const run = b.subarray(at, at + 1 + pick(64));
        b = concat([b.subarray(0, at), run, run, b.subarray(at + run.length)]);
        break;
      }
      case 4: // truncate
        b = b.slice(0, at);
        break;
      case 5: {
        // splice: the head of this one, the tail of another
        const cut = pick(other.length + 1);
        b = concat([b.subarray(0, at), other.subarray(cut)]);
        break;
      }
      case 6: {
        // a number (decimal text) replaced by an extreme
        const text = Array.from(b, (c) => String.fromCharCode(c)).join("");
        const numbers = [...text.matchAll(/-?\d+(\.\d+)?/g)];
        if (numbers.length > 0) {
          const m = numbers[pick(numbers.length)];
          const x = Uint8Array.from(extremes[pick(extremes.length)], (c) => c.charCodeAt(0));
          b = concat([b.subarray(0, m.index), x, b.subarray(m.index + m[0].length)]);
        }
        break;
      }
      default: {
        // a binary field (16 or 32 bits, either byte order) set to an extreme
        const v = [0, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 1, 3, 4][pick(8)];
        const w = random() < 0.5 ? 2 : 4;
        for (let k = 0; k < w && at + k < b.length; k++) b[at + k] = (v >>> (8 * k)) & 0xff;
      }
    }
  }
  return b;
}

/** Errors a parser does not throw on purpose: it tripped over the input (or the stack ran out). */
const bugs = [TypeError, RangeError, ReferenceError, SyntaxError];

/** Why an error is a crash, or null when it is the parser saying what is wrong. */
export function crashOf(e: unknown): string | null {
  let x: unknown = e;
  for (let depth = 0; x !== undefined && depth < 16; depth++) {
    if (!(x instanceof Error)) return `threw ${typeof x} ${JSON.stringify(x)}`;
    if (x.name === "InternalError" || bugs.some((b) => x instanceof b)) return `${x.name}: ${x.message}`;
    if (x.message.trim() === "") return `${x.name} with an empty message`;
    x = x.cause;
  }
  return null;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

export interface FuzzResult {
  target: string;
  inputs: number;
  crashes: number;
  slowest: number;
  ms: number;
}

/** Runs `count` mutated inputs (the seeds themselves first) through a target; prints each crash. */
export function fuzz(t: Target, count: number, seed: number, limitMs = 1000): FuzzResult {
  const random = prng(seed);
  const started = Date.now();
  let crashes = 0;
  let slowest = 0;
  for (let i = 0; i < count; i++) {
    const input =
      i < t.seeds.length
        ? t.seeds[i]
        : mutate(
            t.seeds[Math.floor(random() * t.seeds.length)],
            t.seeds[Math.floor(random() * t.seeds.length)],
            random,
          );
    const before = Date.now();
    let crash: string | null = null;
    try {
      callWithin(limitMs, () => t.run(input));
    } catch (e) {
      crash = crashOf(e);
    }
    const took = Date.now() - before;
    slowest = Math.max(slowest, took);
    if (crash === null && took > limitMs) crash = `took ${took} ms (limit ${limitMs} ms)`;
    if (crash !== null) {
      crashes++;
      console.log(`CRASH ${t.name} (seed ${seed}, input ${i}): ${crash}: input ${hex(input)}`);
    }
  }
  return { target: t.name, inputs: count, crashes, slowest, ms: Date.now() - started };
}
