// Services as values: longrun, oneshot and bundle, and templates that build them from zod-checked
// parameters. A service is built lazily, when the configuration is evaluated, so a parameter error
// is reported at the option path where the service was placed and at the file that built it.
import { z } from "zod";
import { ConfigError, callerLocation, formatPath, zodError, type PathSegment } from "./errors.ts";
import { fileTree, type FileTree } from "./files.ts";
import { OutputRef } from "./output-ref.ts";
import { secretFiles, type SecretFile } from "./secrets.ts";
import { kernelModuleName, serviceNameProblem } from "../../runtime/src/svc/database.ts";

export { OutputRef };

export const defaultTimeoutUp = 20_000;
export const defaultTimeoutDown = 10_000;

/** A dependency: a service, or a function returning one (for services defined further down). */
export type ServiceRef = Service | (() => Service | undefined);

export type ServiceType = "longrun" | "oneshot" | "bundle";

/** A service once its parameters are checked: what the compiler turns into database entries and files. */
export interface ServiceSpec {
  name: string;
  type: ServiceType;
  dependencies: ServiceRef[];
  /**
   * Services this one starts and stops (a controller): they join the system as controlled services, not as
   * dependencies.
   */
  controls: ServiceRef[];
  /**
   * Services that join the system with this one, neither its dependencies nor controlled by it: those a watchdog
   * or a secrets subscriber watches, a firewall's zone memberships.
   */
  brings: ServiceRef[];
  controlled: boolean;
  timeoutUp: number;
  timeoutDown: number;
  notificationFd: number | null;
  outputs: string[];
  /** Its outputs are named by what it fetches at run time (a secrets document): a reference may name any. */
  dynamicOutputs: boolean;
  /**
   * Why anyone on the way could have read or changed its outputs (fetched over plain http), where
   * the configuration has not accepted it: what lets people log in refuses them. Null when sound.
   */
  insecureOutputs: string | null;
  outputRefs: OutputRef[];
  /** longrun: the run script body. */
  run: string | null;
  /** oneshot: up and (optional) down script bodies. */
  up: string | null;
  down: string | null;
  /** Files the service needs (its configuration files, say). */
  files: FileTree;
  /** Files rendered from outputs when the service starts (see secrets.ts). */
  secrets: Record<string, SecretFile>;
  /**
   * Kernel modules it needs, loaded before it starts where the kernel builds them as modules; a
   * template names them beside the Kconfig symbols its module sets for kernels built from source.
   */
  kernelModules: string[];
  /**
   * Templates that built it, outermost first, each with the parameters it checked: each one's module must be imported.
   */
  templates: TemplateUse[];
}

/** A template that built a service, and the parameters it checked (defaults applied). */
export interface TemplateUse {
  template: AnyTemplate;
  params: unknown;
}

/** Output references rendered into scripts while services are being built, innermost build last. */
const rendered: OutputRef[][] = [];

/**
 * Records that the service being built reads `ref` (called by the shell helpers). Outside a build
 * no service would learn that it reads the output, nor wait for its service: refused.
 */
export function noteOutputRef(ref: OutputRef): void {
  const building = rendered.at(-1);
  if (building === undefined)
    throw new ConfigError(
      "outputRef",
      callerLocation(),
      `outputRef(…, ${JSON.stringify(ref.path)}) of the service built at ${ref.service.origin} is in shell text made outside a service, which would not know it reads it: make the text in the service (run: () => sh\`…\`) or its template`,
    );
  building.push(ref);
}

function sameRef(a: OutputRef, b: OutputRef): boolean {
  return a.service === b.service && a.path === b.path;
}

export function uniqueRefs(refs: readonly OutputRef[]): OutputRef[] {
  return refs.filter((r, i) => refs.findIndex((x) => sameRef(x, r)) === i);
}

export class Service {
  #spec: ServiceSpec | undefined;
  #building = false;
  readonly #after: ServiceRef[] = [];

  constructor(
    /** `file:line` of the call that created it. */
    readonly origin: string,
    private readonly make: (path: readonly PathSegment[]) => ServiceSpec,
  ) {}

  /** Checks the parameters and builds the spec (once); errors name `path` and this service's origin. */
  realize(path: readonly PathSegment[]): ServiceSpec {
    if (this.#spec) return this.#spec;
    if (this.#building)
      throw new ConfigError(formatPath(path), this.origin, "service refers to its own outputs while being built");
    this.#building = true;
    const collected: OutputRef[] = [];
    rendered.push(collected);
    try {
      const spec = this.make(path);
      this.#spec = {
        ...spec,
        dependencies: [...spec.dependencies, ...this.#after],
        outputRefs: uniqueRefs([...spec.outputRefs, ...collected]),
      };
    } finally {
      rendered.pop();
      this.#building = false;
    }
    return this.#spec;
  }

  /**
   * Starts this service only after `services` are up, besides what it needs already (a daemon facing
   * the WAN after the firewall's ruleset), keeping it the same service for everything that refers to it.
   */
  after(...services: ServiceRef[]): this {
    if (this.#spec)
      throw new ConfigError(
        "after",
        callerLocation(),
        `${this.#spec.name} was built already (its name or outputs were read): call after() first`,
      );
    this.#after.push(...services);
    return this;
  }

  get name(): string {
    return this.realize([`service built at ${this.origin}`]).name;
  }
}

/** Why `service`'s outputs may have been read or changed on the way, or null (see ServiceSpec). */
export function insecureOutputs(service: Service): string | null {
  return service.realize([`service built at ${service.origin}`]).insecureOutputs;
}

export const outputPath = z
  .string()
  .regex(/^[A-Za-z0-9_.@-]+(\/[A-Za-z0-9_.@-]+)*$/, "must be a relative path of letters, digits and _ . @ -")
  .refine((p) => !p.split("/").some((s) => s === "." || s === ".."), "must not contain . or .. parts");

export function outputRef(service: Service, path: string): OutputRef {
  if (!(service instanceof Service))
    throw new ConfigError("outputRef", callerLocation(), "first argument must be a service");
  const r = outputPath.safeParse(path);
  if (!r.success)
    throw new ConfigError("outputRef", callerLocation(), `path ${JSON.stringify(path)} ${r.error.issues[0].message}`);
  return new OutputRef(service, path);
}

/** A parameter that accepts a literal or an outputRef (Liminix's "replaceable" type). */
export function replaceable<S extends z.ZodType>(schema: S) {
  return z.union([schema, z.instanceof(OutputRef).meta({ type: "outputRef" })]);
}

export const serviceRef = z
  .custom<ServiceRef>(
    (v) => v instanceof Service || typeof v === "function",
    "expected a service (or a function returning one)",
  )
  .meta({ type: "service or function returning one" });
export const serviceName = z.string().superRefine((name, ctx) => {
  const problem = serviceNameProblem(name);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});
/** A port to listen on: 0 would be one the kernel picks, which no client knows. */
export const port = z.number().int().min(1, "must be a port from 1 to 65535").max(65535);
const millis = z.number().int().min(0);

/** Every OutputRef inside checked parameters, however deeply nested. */
function findOutputRefs(v: unknown, found: OutputRef[] = []): OutputRef[] {
  if (v instanceof OutputRef) found.push(v);
  else if (Array.isArray(v)) for (const x of v) findOutputRefs(x, found);
  else if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) findOutputRefs(x, found);
  return found;
}

function checked<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  path: readonly PathSegment[],
  origin: string,
): z.output<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw zodError(r.error, path, () => origin);
  return r.data;
}

/** A script, or a function making it when the service is built (so that its outputRefs are recorded). */
const script = z.union([
  z.string().min(1),
  z.custom<() => string>((v) => typeof v === "function", "expected a script or a function returning one"),
]);

/** The text of a script parameter, made now if it is a function (inside the service's build). */
function scriptText(s: z.output<typeof script>, path: readonly PathSegment[], origin: string): string {
  const text = typeof s === "function" ? s() : s;
  if (typeof text !== "string" || text === "")
    throw new ConfigError(formatPath(path), origin, "the function must return the script's text");
  return text;
}

const common = {
  name: serviceName,
  dependencies: z.array(serviceRef).default([]),
  controls: z.array(serviceRef).default([]),
  brings: z.array(serviceRef).default([]),
  controlled: z.boolean().default(false),
  timeoutUp: millis.default(defaultTimeoutUp),
  timeoutDown: millis.default(defaultTimeoutDown),
  outputs: z.array(outputPath).default([]),
  dynamicOutputs: z.boolean().default(false),
  insecureOutputs: z.string().min(1).nullable().default(null),
  files: fileTree.default({}),
  secrets: secretFiles.default({}),
  kernelModules: z
    .array(z.string().regex(kernelModuleName, "must be a kernel module name as lsmod shows it (no -)"))
    .default([]),
};

const longrunParams = z.strictObject({
  ...common,
  run: script,
  /** The fd the daemon writes a line to when ready (s6 readiness notification). */
  notificationFd: z.number().int().min(3).nullable().default(null),
});
const oneshotParams = z.strictObject({
  ...common,
  up: script,
  down: script.nullable().default(null),
});
const bundleParams = z.strictObject({
  name: serviceName,
  contents: z.array(serviceRef).min(1),
  controlled: z.boolean().default(false),
});

type Common = z.output<z.ZodObject<typeof common>>;

function spec(
  type: ServiceType,
  p: Common,
  parts: Pick<ServiceSpec, "run" | "up" | "down" | "notificationFd">,
  raw: unknown,
): ServiceSpec {
  return {
    name: p.name,
    type,
    dependencies: p.dependencies,
    controls: p.controls,
    brings: p.brings,
    controlled: p.controlled,
    timeoutUp: p.timeoutUp,
    timeoutDown: p.timeoutDown,
    outputs: p.outputs,
    dynamicOutputs: p.dynamicOutputs,
    insecureOutputs: p.insecureOutputs,
    outputRefs: findOutputRefs(raw),
    files: p.files,
    secrets: p.secrets,
    kernelModules: [...new Set(p.kernelModules)],
    templates: [],
    ...parts,
  };
}

/** A supervised process: restarted when it exits; what it prints is logged. */
export function longrun(params: z.input<typeof longrunParams>): Service {
  const origin = callerLocation();
  return new Service(origin, (path) => {
    const p = checked(longrunParams, params, path, origin);
    const run = scriptText(p.run, [...path, "run"], origin);
    return spec("longrun", p, { run, up: null, down: null, notificationFd: p.notificationFd }, params);
  });
}

/** Shell run once when the service goes up, and (optionally) once when it goes down. */
export function oneshot(params: z.input<typeof oneshotParams>): Service {
  const origin = callerLocation();
  return new Service(origin, (path) => {
    const p = checked(oneshotParams, params, path, origin);
    const up = scriptText(p.up, [...path, "up"], origin);
    const down = p.down === null ? null : scriptText(p.down, [...path, "down"], origin);
    return spec("oneshot", p, { run: null, up, down, notificationFd: null }, params);
  });
}

/** A name for a group of services: up when all of them are. */
export function bundle(params: z.input<typeof bundleParams>): Service {
  const origin = callerLocation();
  return new Service(origin, (path) => {
    const p = checked(bundleParams, params, path, origin);
    return {
      name: p.name,
      type: "bundle",
      dependencies: p.contents,
      controls: [],
      brings: [],
      controlled: p.controlled,
      timeoutUp: 0,
      timeoutDown: 0,
      notificationFd: null,
      outputs: [],
      dynamicOutputs: false,
      insecureOutputs: null,
      outputRefs: [],
      run: null,
      up: null,
      down: null,
      files: {},
      secrets: {},
      kernelModules: [],
      templates: [],
    };
  });
}

/** What a template needs to know of the module exposing it. */
export interface TemplateOwner {
  readonly name: string;
  readonly file: string;
}

export interface Template<S extends z.ZodType> {
  readonly name: string;
  readonly params: S;
  /** Set by defineModule: the module that must be imported to use this template. */
  owner: TemplateOwner | undefined;
  build(params: z.input<S>): Service;
}
export type AnyTemplate = Template<z.ZodType>;

/**
 * A service template: `params` checks what the user passes (defaults, ranges, replaceable values);
 * `make` turns the checked parameters into a service (usually a longrun or oneshot). Output
 * references found anywhere in the parameters are recorded on the service.
 */
/**
 * A template: `make` builds the service from checked parameters; `self` is the service the caller gets, for the
 * services it brings along that depend on it.
 */
export function template<S extends z.ZodType>(
  name: string,
  params: S,
  make: (p: z.output<S>, self: Service) => Service,
): Template<S> {
  const t: Template<S> = {
    name,
    params,
    owner: undefined,
    build(raw) {
      const origin = callerLocation();
      const self: Service = new Service(origin, (path) => {
        const p = checked(params, raw, path, origin);
        const built = make(p, self);
        let inner: ServiceSpec;
        try {
          inner = built.realize(path);
        } catch (e) {
          // A value the template passed on unchanged (a name, say) came from the caller: point there.
          if (e instanceof ConfigError && e.file === built.origin)
            throw new ConfigError(e.path, origin, `${e.problem} (checked by template ${name} at ${built.origin})`);
          throw e;
        }
        return {
          ...inner,
          outputRefs: [...inner.outputRefs, ...findOutputRefs(p)],
          templates: [{ template: t, params: p }, ...inner.templates],
        };
      });
      return self;
    },
  };
  return t;
}
