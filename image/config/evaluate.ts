// Evaluation: gathers the imported modules, merges every definition, checks the result against the
// declared options, then walks the service graph from `services`, building each service and
// checking names, references and cycles. Any problem stops evaluation with a ConfigError.
import { bootSet, findCycle } from "../../runtime/src/svc/dependencies.ts";
import { base } from "./base.ts";
import { ConfigError, formatPath, thrownBy, zodError, type PathSegment } from "./errors.ts";
import { isPlainObject, Merged } from "./merge.ts";
import {
  mergeShapes,
  shapeSchema,
  type AnyModule,
  type Device,
  type InputOf,
  type OutputOf,
  type UserConfig,
} from "./module.ts";
import type { BaseShape } from "./options.ts";
import { Service, type ServiceRef, type ServiceSpec } from "./service.ts";

export type Options = OutputOf<BaseShape> & Record<string, unknown>;

export interface ServiceNode {
  name: string;
  service: Service;
  spec: ServiceSpec;
  /** The option path where the service was first reached. */
  path: readonly PathSegment[];
  /** Names of the services it needs up first, including those whose outputs it references. */
  dependencies: string[];
  /** Started by a controller: declared so, or named in some service's `controls`. */
  controlled: boolean;
}

export interface Evaluated {
  device: Device;
  config: UserConfig;
  modules: AnyModule[];
  options: Options;
  /** Every service of the system, in the order first reached. */
  services: ServiceNode[];
  /** Services started at boot: neither controlled nor depending on a controlled one. */
  defaultServices: string[];
}

/** base first, then each module after what it imports; each once. */
function moduleClosure(roots: readonly AnyModule[]): AnyModule[] {
  const seen = new Set<AnyModule>();
  const visit = (m: AnyModule): void => {
    if (seen.has(m)) return;
    seen.add(m);
    m.imports.forEach(visit);
  };
  [base, ...roots].forEach(visit);
  return [...seen];
}

function place(node: ServiceNode): string {
  return `${formatPath(node.path)} (${node.service.origin})`;
}

function walkServices(options: Options, modules: readonly AnyModule[]): ServiceNode[] {
  const byService = new Map<Service, ServiceNode>();
  const byName = new Map<string, ServiceNode>();
  const imported = new Set(modules.map((m) => m.file));

  const resolve = (ref: ServiceRef, path: readonly PathSegment[], from: Service): Service => {
    const s = ref instanceof Service ? ref : ref();
    if (!(s instanceof Service))
      throw new ConfigError(
        formatPath(path),
        from.origin,
        `refers to a service that does not exist (the reference gave ${String(s)})`,
      );
    return s;
  };

  const visit = (service: Service, path: readonly PathSegment[]): ServiceNode => {
    const known = byService.get(service);
    if (known) return known;
    const spec = service.realize(path);
    for (const { template: t } of spec.templates) {
      if (t.owner && !imported.has(t.owner.file)) {
        throw new ConfigError(
          formatPath(path),
          service.origin,
          `template ${t.name} belongs to module ${t.owner.name} (${t.owner.file}), which is not imported`,
        );
      }
    }
    const node: ServiceNode = { name: spec.name, service, spec, path, dependencies: [], controlled: spec.controlled };
    const other = byName.get(spec.name);
    if (other)
      throw new ConfigError(
        formatPath(path),
        service.origin,
        `two services are named "${spec.name}": this one and ${place(other)}`,
      );
    byService.set(service, node);
    byName.set(spec.name, node);
    spec.dependencies.forEach((ref, i) => {
      const where = [...path, "dependencies", i];
      const dep = visit(resolve(ref, where, service), where).name;
      if (!node.dependencies.includes(dep)) node.dependencies.push(dep);
    });
    spec.controls.forEach((ref, i) => {
      const where = [...path, "controls", i];
      visit(resolve(ref, where, service), where).controlled = true;
    });
    spec.brings.forEach((ref, i) => {
      const where = [...path, "brings", i];
      visit(resolve(ref, where, service), where);
    });
    return node;
  };

  for (const [key, s] of Object.entries(options.services)) visit(s, ["services", key]);

  // Output references do not pull a service in: it must be part of the system already.
  for (const node of byService.values()) {
    for (const ref of node.spec.outputRefs) {
      const target = byService.get(ref.service);
      if (!target) {
        throw new ConfigError(
          formatPath(node.path),
          node.service.origin,
          `outputRef(…, "${ref.path}") names a service (built at ${ref.service.origin}) that is not part of the system: add it to services`,
        );
      }
      const declared = target.spec.outputs.some((o) => ref.path === o || ref.path.startsWith(`${o}/`));
      if (!declared && !target.spec.dynamicOutputs) {
        throw new ConfigError(
          formatPath(node.path),
          node.service.origin,
          `outputRef(${target.name}, "${ref.path}") names an output ${target.name} does not declare (it declares ${target.spec.outputs.length === 0 ? "none" : target.spec.outputs.join(", ")})`,
        );
      }
      if (target !== node && !node.dependencies.includes(target.name)) node.dependencies.push(target.name);
    }
  }
  return [...byService.values()];
}

/** The services started at boot; a dependency cycle is an error at the service where it closes. */
function defaultSet(nodes: readonly ServiceNode[]): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const cycle = findCycle(byName);
  if (cycle) {
    const n = byName.get(cycle[0])!;
    throw new ConfigError(formatPath(n.path), n.service.origin, `dependency cycle: ${cycle.join(" -> ")}`);
  }
  return bootSet(byName);
}

/** The device's interfaces as the configuration sees them (the device's own definitions, unchecked yet). */
function deviceInterfaces(device: Device): Record<string, Service> {
  const config = device.config as InputOf<BaseShape>;
  return { ...config.hardware?.networkInterfaces } as Record<string, Service>;
}

/** Its body, evaluated for `device`; what its own code throws names its file. */
function userBody(userConfig: UserConfig, device: Device): ReturnType<UserConfig["body"]> {
  try {
    return userConfig.body({ interfaces: deviceInterfaces(device), device: { name: device.name, cpu: device.cpu } });
  } catch (e) {
    throw thrownBy(e, userConfig.file, "default export", "while evaluating");
  }
}

/**
 * A `services` entry left undefined (`interfaces.wlan` on a device without one) would be dropped
 * by the merge, and the service silently missing.
 */
function refuseUndefinedServices(value: Record<string, unknown>, source: string): void {
  const services = value["services"];
  if (!isPlainObject(services)) return;
  for (const [key, s] of Object.entries(services))
    if (s === undefined)
      throw new ConfigError(
        formatPath(["services", key]),
        source,
        "is undefined: expected a service (an interface the device does not have?)",
      );
}

export function evaluate(userConfig: UserConfig, device: Device): Evaluated {
  const config = userBody(userConfig, device);
  const modules = moduleClosure([...device.imports, ...config.imports]);
  const schema = shapeSchema(
    mergeShapes(modules.map((m) => ({ shape: m.options, by: `module ${m.name} (${m.file})` }))),
  );
  const definitions = [
    ...modules.map((m) => ({ value: m.config, source: m.file })),
    { value: device.config, source: device.file },
    { value: config.config, source: userConfig.file },
  ];
  const merged = new Merged();
  for (const d of definitions) {
    refuseUndefinedServices(d.value, d.source);
    merged.add(d);
  }
  const parsed = schema.safeParse(merged.value);
  if (!parsed.success) throw zodError(parsed.error, [], (p) => merged.sourceOf(p));
  const options = parsed.data as Options;
  const services = walkServices(options, modules);
  return { device, config: userConfig, modules, options, services, defaultServices: defaultSet(services) };
}
