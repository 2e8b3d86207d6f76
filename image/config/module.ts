// Modules, devices and the user's configuration: the three kinds of option definitions, each
// remembering the file it came from. A module declares options (zod schemas), contributes option
// values and exposes service templates; only imported modules add anything to the system.
import { z } from "zod";
import { callerLocation, ConfigError, formatPath, type PathSegment } from "./errors.ts";
import type { DeviceArch } from "../lib/debian.ts";
import type { BaseShape } from "./options.ts";
import type { AnyTemplate, OutputRef, Service } from "./service.ts";

export type OptionShape = { readonly [key: string]: z.ZodType | OptionShape };

/**
 * Definitions merge, so any one of them may set part of a record (a user's password, but not
 * its uid): leaves are zod input types with every plain-object level optional.
 */
type DeepPartial<T> = T extends Service | OutputRef | ((...args: never[]) => unknown) | readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
export type InputOf<S> = { [K in keyof S]?: S[K] extends z.ZodType ? DeepPartial<z.input<S[K]>> : InputOf<S[K]> };
/** The evaluated options, defaults applied. */
export type OutputOf<S> = { [K in keyof S]: S[K] extends z.ZodType ? z.output<S[K]> : OutputOf<S[K]> };

/** No options and no templates: the identity of intersecting shapes. */
type NoOptions = Record<never, never>;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type ShapeOf<M> = M extends Module<infer O, Templates> ? O : never;
/** The options declared by a list of modules (and what they import). */
export type ShapesOf<M extends readonly AnyModule[]> = [M[number]] extends [never]
  ? NoOptions
  : UnionToIntersection<ShapeOf<M[number]>>;

export type Templates = { readonly [key: string]: AnyTemplate | Templates };

export interface Module<O extends OptionShape, T extends Templates> {
  readonly kind: "module";
  readonly name: string;
  readonly file: string;
  readonly imports: readonly AnyModule[];
  readonly options: OptionShape;
  readonly config: Record<string, unknown>;
  /** The templates this module exposes, e.g. `ntp.svc.ntp.build({...})`. */
  readonly svc: T;
  /** Type-level only: the options this module and its imports declare. */
  readonly shape?: O;
}
export type AnyModule = Module<OptionShape, Templates>;

function isTemplate(v: AnyTemplate | Templates): v is AnyTemplate {
  return typeof (v as AnyTemplate).build === "function" && "params" in v;
}

function claimTemplates(t: Templates, owner: { name: string; file: string }): void {
  for (const v of Object.values(t)) {
    if (!isTemplate(v)) claimTemplates(v, owner);
    else if (v.owner)
      throw new ConfigError(
        `svc.${v.name}`,
        owner.file,
        `template already belongs to module ${v.owner.name} (${v.owner.file})`,
      );
    else v.owner = owner;
  }
}

export function defineModule<
  const I extends readonly AnyModule[] = [],
  O extends OptionShape = NoOptions,
  T extends Templates = NoOptions,
>(m: {
  name: string;
  imports?: I;
  options?: O;
  config?: InputOf<BaseShape & NoInfer<O> & ShapesOf<I>>;
  svc?: T;
}): Module<O & ShapesOf<I>, T> {
  const file = callerLocation();
  const svc = m.svc ?? ({} as T);
  claimTemplates(svc, { name: m.name, file });
  return {
    kind: "module",
    name: m.name,
    file,
    imports: m.imports ?? [],
    options: m.options ?? {},
    config: m.config ?? {},
    svc,
  };
}

/** The router CPUs a device can have (the runtime's targets but the host's x86_64). */
export type Cpu = "aarch64" | "armv7" | "mipsel" | "mips";

/** How QEMU runs an emulated device: its board, the Debian kernel it boots and the modules that kernel needs early. */
export interface Emulator {
  /** QEMU system emulator program. */
  system: string;
  /** Board and CPU arguments. */
  machine: string[];
  memoryMiB: number;
  /** Serial console device name inside the guest. */
  console: string;
  /** Debian kernel meta-package (e.g. linux-image-arm64) and its architecture. */
  kernelPackage: string;
  debianArch: DeviceArch;
  /** Modules to load at boot, in order, before the network and disks are used. */
  kernelModules: string[];
  /** Extra QEMU arguments (e.g. -vga none on malta). */
  extra: string[];
  /**
   * The emulated radios' driver and its parameter saying how many it makes: the image has it make
   * one more than the system's links that load it, a spare radio for a test's station (the lab's).
   */
  radios?: { module: string; parameter: string };
}

/**
 * The virtio disk serial of the public keys run.sh hands an emulated router at start
 * (--authorized-key): the guest finds the disk by it, whatever disks come before.
 */
export const keyDiskSerial = "limen-keys";

export interface Device {
  readonly kind: "device";
  readonly name: string;
  readonly cpu: Cpu;
  /** Debian architecture of the device's packages. */
  readonly debianArch: DeviceArch;
  /** How QEMU runs it, for an emulated device (the vmroot output); null for real hardware. */
  readonly emulator: Emulator | null;
  readonly file: string;
  readonly imports: readonly AnyModule[];
  readonly config: Record<string, unknown>;
}

/** A device descriptor (devices/<name>/index.ts): the hardware options, not the application. */
export function defineDevice<const I extends readonly AnyModule[] = []>(d: {
  name: string;
  cpu: Cpu;
  debianArch: DeviceArch;
  emulator?: Emulator;
  imports?: I;
  config: InputOf<BaseShape & ShapesOf<I>>;
}): Device {
  return {
    kind: "device",
    name: d.name,
    cpu: d.cpu,
    debianArch: d.debianArch,
    emulator: d.emulator ?? null,
    file: callerLocation(),
    imports: d.imports ?? [],
    config: d.config,
  };
}

/** What a configuration file can see of the device it is evaluated for. */
export interface ConfigEnv {
  /** The device's network interfaces (hardware.networkInterfaces), e.g. `lan`, `wan`. */
  interfaces: Readonly<Record<string, Service>>;
  device: { name: string; cpu: Cpu };
}

type ConfigBody<I extends readonly AnyModule[]> = { imports?: I } & InputOf<BaseShape & ShapesOf<I>>;

export interface UserConfig {
  readonly kind: "config";
  readonly file: string;
  body(env: ConfigEnv): { imports: readonly AnyModule[]; config: Record<string, unknown> };
}

/**
 * The default export of a configuration file. `imports` lists the modules whose options and
 * templates it uses; every other key sets options, typed by the base options and those modules.
 * A function form receives the device's interfaces.
 */
export function defineConfig<const I extends readonly AnyModule[] = []>(
  c: ConfigBody<I> | ((env: ConfigEnv) => ConfigBody<I>),
): UserConfig {
  const config: UserConfig = {
    kind: "config",
    file: callerLocation(),
    body(env) {
      const body: unknown = typeof c === "function" ? c(env) : c;
      // an async function's options would come after evaluation: none would be read
      if (body instanceof Promise)
        throw new ConfigError(
          "default export",
          config.file,
          "defineConfig's function returns a promise (is it async?): it must return the options themselves",
        );
      const { imports, ...options } = body as ConfigBody<I>;
      return { imports: imports ?? [], config: options };
    },
  };
  madeHere.add(config);
  return config;
}

const madeHere = new WeakSet<UserConfig>();

/**
 * Whether this copy of the configuration language made `c`. A file loaded as CommonJS gets a
 * second copy, whose services this evaluator cannot recognise.
 */
export function isFromThisCopy(c: UserConfig): boolean {
  return madeHere.has(c);
}

function isSchema(v: z.ZodType | OptionShape): v is z.ZodType {
  return "_zod" in v;
}

/** Merges option declarations; one option declared by two modules is an error naming both. */
export function mergeShapes(declared: readonly { shape: OptionShape; by: string }[]): OptionShape {
  const owners = new Map<string, string>();
  const into = (
    target: Record<string, z.ZodType | OptionShape>,
    shape: OptionShape,
    path: PathSegment[],
    by: string,
  ): Record<string, z.ZodType | OptionShape> => {
    for (const [k, v] of Object.entries(shape)) {
      const here = [...path, k];
      const have = target[k];
      if (have === undefined) {
        target[k] = isSchema(v) ? v : into({}, v, here, by);
        owners.set(formatPath(here), by);
      } else if (!isSchema(have) && !isSchema(v)) {
        into(have, v, here, by);
      } else {
        throw new ConfigError(
          formatPath(here),
          by,
          `option is already declared by ${owners.get(formatPath(here)) ?? "another module"}`,
        );
      }
    }
    return target;
  };
  const root: Record<string, z.ZodType | OptionShape> = {};
  for (const d of declared) into(root, d.shape, [], d.by);
  return root;
}

/** The zod schema of a shape: strict objects (unknown options are errors), nested groups default to {}. */
export function shapeSchema(shape: OptionShape): z.ZodType {
  const entries = Object.entries(shape).map(([k, v]) => [k, isSchema(v) ? v : shapeSchema(v).prefault({})] as const);
  return z.strictObject(Object.fromEntries(entries));
}
