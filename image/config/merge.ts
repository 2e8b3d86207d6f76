// Merging option definitions from several sources (modules, the device, the user's file):
// lists concatenate, records merge key by key, and two different scalars for one option are an
// error naming both sources. Every value remembers where it was set, for error messages.
import { ConfigError, formatPath, type PathSegment } from "./errors.ts";

export interface Definition {
  value: Record<string, unknown>;
  /** Where it was set: a file (with line where known). */
  source: string;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Deep copy of plain objects and arrays (class instances such as services are shared). */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (isPlainObject(v))
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, copy(x)]),
    );
  return v;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v !== null && typeof v === "object")
    return Array.isArray(v) ? "a list" : isPlainObject(v) ? "a record" : `a ${v.constructor.name}`;
  return String(v);
}

export class Merged {
  readonly value: Record<string, unknown> = {};
  readonly #sources = new Map<string, string>();

  /** The source that set `path`, or the nearest enclosing value that has one. */
  sourceOf(path: readonly PathSegment[]): string {
    for (let n = path.length; n >= 0; n--) {
      const s = this.#sources.get(formatPath(path.slice(0, n)));
      if (s !== undefined) return s;
    }
    return "(set by no file)";
  }

  add(def: Definition): void {
    this.#into(this.value, def.value, [], def.source);
  }

  #into(target: Record<string, unknown>, incoming: Record<string, unknown>, path: PathSegment[], source: string): void {
    for (const [key, b] of Object.entries(incoming)) {
      if (b === undefined) continue;
      const here = [...path, key];
      const a = target[key];
      if (a === undefined) {
        target[key] = copy(b);
        this.#sources.set(formatPath(here), source);
      } else if (isPlainObject(a) && isPlainObject(b)) {
        this.#into(a, b, here, source);
      } else if (Array.isArray(a) && Array.isArray(b)) {
        b.forEach((_x, i) => this.#sources.set(formatPath([...here, a.length + i]), source));
        a.push(...b.map(copy));
      } else if (!Object.is(a, b)) {
        throw new ConfigError(
          formatPath(here),
          source,
          `conflicting values: ${show(b)} here, ${show(a)} in ${this.sourceOf(here)}`,
        );
      }
    }
  }
}

export function mergeDefinitions(defs: readonly Definition[]): Merged {
  const m = new Merged();
  for (const d of defs) m.add(d);
  return m;
}
