// The two facts of a service graph that the host (image/config/evaluate.ts, which reports them as
// configuration errors) and the device (svc, on the database) must agree on: whether the
// dependencies form a cycle, and which services boot brings up. Pure: no engine imports, so the
// host imports it as it imports database.ts.

/** What each service needs up first, and whether a controller, not boot, starts it. */
export interface DependencyNode {
  readonly dependencies: readonly string[];
  readonly controlled: boolean;
}

/**
 * The first dependency cycle met walking the services in the map's order and each one's
 * dependencies in theirs: the names along it, the first repeated at the end; null when there is
 * none. A dependency missing from the map is not followed (the database's check names it).
 */
export function findCycle(services: ReadonlyMap<string, DependencyNode>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    if (done.has(name)) return null;
    const at = path.indexOf(name);
    if (at >= 0) return [...path.slice(at), name];
    const node = services.get(name);
    if (!node) return null;
    path.push(name);
    for (const d of node.dependencies) {
      const cycle = visit(d);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(name);
    return null;
  };
  for (const name of services.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * The boot set, in the map's order: every service that is neither controlled nor needs, directly
 * or not, a controlled one. The graph must be acyclic (findCycle first).
 */
export function bootSet(services: ReadonlyMap<string, DependencyNode>): string[] {
  const held = new Map<string, boolean>();
  const controlled = (name: string): boolean => {
    let c = held.get(name);
    if (c === undefined) {
      const node = services.get(name);
      c = node !== undefined && (node.controlled || node.dependencies.some(controlled));
      held.set(name, c);
    }
    return c;
  };
  return [...services.keys()].filter((n) => !controlled(n));
}
