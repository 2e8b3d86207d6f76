// The service database as a dependency graph: direct and transitive dependencies both ways,
// and the default set started at boot.
import * as std from "qjs:std";
import { checkDatabase, type Database, type ServiceEntry } from "./database";
import { bootSet, findCycle } from "./dependencies";

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
    const cycle = findCycle(this.byName());
    if (cycle) throw new DatabaseError(`service database: dependency cycle ${cycle.join(" -> ")}`);
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

  /** What boot brings up: every service but controlled ones and those needing them. */
  defaultSet(): string[] {
    return bootSet(this.byName());
  }

  private byName(): Map<string, ServiceEntry> {
    return new Map(this.names().map((n) => [n, this.entry(n)]));
  }
}

export function loadGraph(path: string): Graph {
  const text = std.loadFile(path);
  if (text === null) throw new DatabaseError(`service database: cannot read ${path}`);
  return parseGraph(text, path);
}

/** The graph of a database file's text; `path` names it in errors. */
export function parseGraph(text: string, path: string): Graph {
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
