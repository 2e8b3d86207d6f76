// The service database as a dependency graph: direct and transitive dependencies both ways,
// and the default set started at boot.
import * as std from "qjs:std";
import { checkDatabase, type Database, type ServiceEntry } from "./database";

/** The database cannot be used (missing, malformed, cyclic): s6-rc's exit status 4. */
export class DatabaseError extends Error {}

export class Graph {
  readonly services: Record<string, ServiceEntry>;
  private readonly dependents = new Map<string, string[]>();

  constructor(db: Database) {
    this.services = db.services;
    for (const name of this.names()) this.dependents.set(name, []);
    for (const name of this.names())
      for (const d of this.services[name].dependencies) this.dependents.get(d)!.push(name);
    this.checkAcyclic();
  }

  names(): string[] {
    return Object.keys(this.services).sort();
  }

  has(name: string): boolean {
    return Object.hasOwn(this.services, name);
  }

  entry(name: string): ServiceEntry {
    return this.services[name];
  }

  deps(name: string): string[] {
    return [...this.entry(name).dependencies].sort();
  }

  rdeps(name: string): string[] {
    return [...this.dependents.get(name)!].sort();
  }

  /** Everything reachable from `name` (not itself) through deps or rdeps. */
  closure(name: string, way: "deps" | "rdeps"): string[] {
    const seen = new Set<string>();
    const visit = (n: string): void => {
      for (const m of way === "deps" ? this.deps(n) : this.rdeps(n)) {
        if (!seen.has(m)) {
          seen.add(m);
          visit(m);
        }
      }
    };
    visit(name);
    return [...seen].sort();
  }

  /** Whether `name` is controlled or needs, directly or not, a controlled service. */
  needsControlled(name: string): boolean {
    return [name, ...this.closure(name, "deps")].some((n) => this.entry(n).controlled);
  }

  /** What boot brings up: every service but controlled ones and those needing them. */
  defaultSet(): string[] {
    return this.names().filter((n) => !this.needsControlled(n));
  }

  private checkAcyclic(): void {
    const done = new Set<string>();
    const path: string[] = [];
    const visit = (n: string): void => {
      if (done.has(n)) return;
      const at = path.indexOf(n);
      if (at >= 0) throw new DatabaseError(`service database: dependency cycle ${[...path.slice(at), n].join(" -> ")}`);
      path.push(n);
      for (const d of this.entry(n).dependencies) visit(d);
      path.pop();
      done.add(n);
    };
    for (const n of this.names()) visit(n);
  }
}

export function loadGraph(path: string): Graph {
  const text = std.loadFile(path);
  if (text === null) throw new DatabaseError(`service database: cannot read ${path}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DatabaseError(`service database: ${path}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return new Graph(checkDatabase(raw, path));
  } catch (e) {
    if (e instanceof DatabaseError) throw e;
    throw new DatabaseError(e instanceof Error ? e.message : String(e));
  }
}
