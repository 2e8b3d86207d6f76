// The service database: what the host's configuration compiler (image/) writes to
// /etc/limen/services.json and what `svc` reads on the device (where it and the other files lie:
// ../layout.ts). Versioned: a device refuses a database whose version it does not know.

export const databaseVersion = 2;

export type ServiceType = "longrun" | "oneshot" | "bundle";

export interface ServiceEntry {
  type: ServiceType;
  /** Names of services this one needs up first (for a bundle: its contents). */
  dependencies: string[];
  /** Started by a controller, not at boot: it and its dependents stay out of the default set. */
  controlled: boolean;
  /** Milliseconds to wait for up/ready (0: forever). */
  timeoutUp: number;
  /** Milliseconds to wait for down (0: forever). */
  timeoutDown: number;
  /** longrun: the fd the daemon writes a line to when ready; null when not ready-notified. */
  notificationFd: number | null;
  /** Output keys the service declares it writes (informative; outputs can hold more). */
  outputs: string[];
  /** References to other services' outputs, resolved when the service starts. */
  outputRefs: { service: string; path: string }[];
  /**
   * Kernel modules loaded before it starts where the kernel builds them as modules (the image's
   * table, ../layout.ts kernelModules, says which files); elsewhere they are built in.
   */
  kernelModules: string[];
}

export interface Database {
  version: typeof databaseVersion;
  services: Record<string, ServiceEntry>;
}

/** The entries init makes in the scan directory for itself, beside the longruns': no service may take their names. */
export const initServices = {
  /** The catch-all logger (as s6-linux-init names it). */
  catchAllLogger: "s6-svscan-log",
  /** Runs `svc boot` once. */
  boot: "limen-boot",
  /** A login prompt on the console when the services cannot start (init/init.ts). */
  rescue: "limen-rescue",
} as const;

/**
 * Why `name` cannot name a service, or null. It names folders (the scan directory's, outputs,
 * secrets) and is an argument of s6 commands: no path, nothing s6-svscan hides (a leading .),
 * nothing read as an option (a leading -), and none of init's own scan directory entries.
 */
export function serviceNameProblem(name: string): string | null {
  if (!/^[A-Za-z0-9_.@-]+$/.test(name)) return "a service name may only hold letters, digits and _ . @ -";
  if (/^[.-]/.test(name)) return "a service name may not start with . or -";
  if ((Object.values(initServices) as string[]).includes(name))
    return `"${name}" is the name of init's own service in the scan directory`;
  return null;
}

/** As the kernel names a module (lsmod): letters, digits and underscores. */
export const kernelModuleName = /^[A-Za-z0-9_]+$/;

const types: ServiceType[] = ["longrun", "oneshot", "bundle"];

function fail(where: string, what: string): never {
  throw new Error(`service database: ${where}: ${what}`);
}

function strings(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) fail(where, "must be a list of strings");
  return v as string[];
}

function millis(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    fail(where, "must be a whole number of milliseconds >= 0");
  return v;
}

/**
 * Checks a parsed database (the device cannot afford zod; the host validates with its own schema
 * in image/, and the tests run both on the same files). Every dependency must name a service.
 */
export function checkDatabase(raw: unknown, source: string): Database {
  if (typeof raw !== "object" || raw === null) fail(source, "is not a JSON object");
  const db = raw as { version?: unknown; services?: unknown };
  if (db.version !== databaseVersion)
    fail(
      source,
      `version ${JSON.stringify(db.version)} is not ${databaseVersion}: this svc is too old or too new for it`,
    );
  if (typeof db.services !== "object" || db.services === null) fail(source, "has no services object");
  const services = db.services as Record<string, Record<string, unknown>>;
  for (const [name, s] of Object.entries(services)) {
    const where = `${source}: services.${name}`;
    const badName = serviceNameProblem(name);
    if (badName !== null) fail(where, badName);
    if (typeof s !== "object" || s === null) fail(where, "is not an object");
    if (!types.includes(s.type as ServiceType)) fail(`${where}.type`, `must be one of ${types.join(", ")}`);
    for (const d of strings(s.dependencies, `${where}.dependencies`)) {
      if (!Object.hasOwn(services, d)) fail(`${where}.dependencies`, `names unknown service "${d}"`);
    }
    if (typeof s.controlled !== "boolean") fail(`${where}.controlled`, "must be true or false");
    millis(s.timeoutUp, `${where}.timeoutUp`);
    millis(s.timeoutDown, `${where}.timeoutDown`);
    if (
      s.notificationFd !== null &&
      (typeof s.notificationFd !== "number" || !Number.isInteger(s.notificationFd) || s.notificationFd < 3)
    ) {
      fail(`${where}.notificationFd`, "must be null or an fd number >= 3");
    }
    strings(s.outputs, `${where}.outputs`);
    if (
      !Array.isArray(s.outputRefs) ||
      (s.outputRefs as unknown[]).some((r) => {
        const ref = r as { service?: unknown; path?: unknown } | null;
        return typeof ref?.service !== "string" || typeof ref?.path !== "string";
      })
    ) {
      fail(`${where}.outputRefs`, "must be a list of {service, path}");
    }
    for (const m of strings(s.kernelModules, `${where}.kernelModules`))
      if (!kernelModuleName.test(m)) fail(`${where}.kernelModules`, `"${m}" is not a kernel module name`);
  }
  return raw as Database;
}
