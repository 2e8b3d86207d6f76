// limen:test (test/engine/limits.c), linked into the engine test program only.
declare module "limen:test" {
  /** `fn`'s result; an InternalError when it still runs after `ms` (it is stopped there). */
  export function callWithin<T>(ms: number, fn: () => T): T;
}
