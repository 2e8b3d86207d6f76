// Assertions for tests that run inside the limen engine (no Node, no vitest there).
import type { NativeError } from "limen:native";

export type Case = () => void | Promise<void>;
export type Suite = Record<string, Case>;

export function equal(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
  const e = JSON.stringify(expected, (_, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

/** Expects `fn` to throw a native error with this code, naming this call and argument. */
export function throwsNative(fn: () => unknown, code: string, syscall: string, path?: string): NativeError {
  try {
    fn();
  } catch (e) {
    const err = e as NativeError;
    equal([err.code, err.syscall, err.path], [code, syscall, path], "error");
    const prefix = path === undefined ? `${code}: ${syscall}:` : `${code}: ${syscall} ${path}:`;
    if (!err.message.startsWith(prefix))
      throw new Error(`message "${err.message}" does not start with "${prefix}"`, { cause: e });
    return err;
  }
  throw new Error(`expected ${code} from ${syscall}, but nothing was thrown`);
}
