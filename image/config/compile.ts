// Compilation of an evaluated configuration into the system description: the service database,
// s6 service directories, oneshot scripts, accounts and every other file, the package list and
// the kernel and busybox configuration. Pure data: writing it out is the outputs' job
// (image/outputs/: systemConfiguration, manifest, the images).
import type { Database, ServiceEntry } from "../../runtime/src/svc/database.ts";
import { databaseVersion } from "../../runtime/src/svc/database.ts";
import { loggingVersion, type LoggingSettings } from "../../runtime/src/svc/logging.ts";
import { layout } from "../../runtime/src/layout.ts";
import { adminApplets } from "./admin-applets.ts";
import { databaseSchema } from "./database-schema.ts";
import { ConfigError, formatPath } from "./errors.ts";
import type { FileEntry } from "./files.ts";
import { hostsFile } from "./hosts.ts";
import type { Evaluated, Options, ServiceNode } from "./evaluate.ts";
import { OutputRef, Service } from "./service.ts";
import { shellQuote } from "./shell.ts";
import { sysctlFile } from "./sysctl.ts";
import { secretsVersion, type SecretsSpec } from "../../runtime/src/secrets/template.ts";
import type { PackageRequest } from "../packages/collect.ts";
import type { PackageEntry } from "./options.ts";
import type { Cpu, Emulator } from "./module.ts";
import type { DeviceArch } from "../lib/debian.ts";

/** Where the compiled files go on the device. */
const onDevice = layout("");

/** A file of the system; a file's or folder's owner and group are also resolved to ids. */
export type CompiledFile = { path: string } & (
  (Exclude<FileEntry, { type: "symlink" }> & { uid: number; gid: number }) | Extract<FileEntry, { type: "symlink" }>
);

export interface SystemDescription {
  device: { name: string; cpu: Cpu; debianArch: DeviceArch };
  /** How QEMU runs the device, from its definition; null for real hardware. */
  emulator: Emulator | null;
  hostname: string;
  database: Database;
  /** Each service's origin and templates, by name. */
  services: Record<string, ServiceOrigin>;
  /** Services brought up at boot. */
  defaultServices: string[];
  files: CompiledFile[];
  /** What to ship of which Debian packages, one request a package, sorted by name. */
  packages: PackageRequest[];
  kernel: {
    config: Record<string, string>;
    makeTargets: string[];
    loadModules: string[];
  };
  busybox: { applets: string[] };
  boot: Options["boot"];
  rootfsType: Options["rootfsType"];
  rootOptions: string | null;
  /** The hardware options; the device's interfaces that are part of the system as role -> service name. */
  hardware: Omit<Options["hardware"], "networkInterfaces"> & { networkInterfaces: Record<string, string> };
}

/** A template parameter as JSON: services by name, output references as { service, path }. */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };

/** Who built a service: what tools (the lab, the docs) read to know its role without parsing scripts. */
export interface ServiceOrigin {
  /** `file:line` of the call that built it. */
  origin: string;
  /** The templates that built it, outermost first, with the module exposing each and its checked parameters. */
  templates: { name: string; module: { name: string; file: string } | null; params: ParamValue }[];
}

/** The files being assembled, each remembering which option or service put it there. */
class Tree {
  readonly #files = new Map<string, { entry: FileEntry; from: string; file: string }>();

  has(path: string): boolean {
    return this.#files.has(path);
  }

  add(path: string, entry: FileEntry, from: string, file: string): void {
    const have = this.#files.get(path);
    if (have && JSON.stringify(have.entry) !== JSON.stringify(entry)) {
      throw new ConfigError(
        from,
        file,
        `${path} is also written by ${have.from} (${have.file}) with different content`,
      );
    }
    this.#files.set(path, { entry, from, file });
  }

  script(path: string, lines: string[], from: string, file: string): void {
    this.add(
      path,
      { type: "file", content: lines.join("\n") + "\n", mode: 0o755, owner: "root", group: "root" },
      from,
      file,
    );
  }

  text(path: string, content: string, from: string, file: string, mode = 0o644): void {
    this.add(path, { type: "file", content, mode, owner: "root", group: "root" }, from, file);
  }

  /** Every file, sorted by path, owners resolved to the system's uids and gids. */
  files(o: Options): CompiledFile[] {
    return [...this.#files]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, { entry, from, file }]): CompiledFile => {
        if (entry.type === "symlink") return { path, ...entry };
        const user = o.users[entry.owner];
        if (!user) throw new ConfigError(from, file, `${path} is owned by unknown user "${entry.owner}"`);
        const group = o.groups[entry.group];
        if (!group) throw new ConfigError(from, file, `${path} has unknown group "${entry.group}"`);
        return { path, ...entry, uid: user.uid, gid: group.gid };
      });
  }
}

function entry(node: ServiceNode): ServiceEntry {
  const s = node.spec;
  return {
    type: s.type,
    dependencies: node.dependencies,
    controlled: node.controlled,
    timeoutUp: s.timeoutUp,
    timeoutDown: s.timeoutDown,
    notificationFd: s.notificationFd,
    outputs: s.outputs,
    outputRefs: s.outputRefs.map((r) => ({ service: r.service.name, path: r.path })),
    kernelModules: s.kernelModules,
  };
}

/** The preamble of every script of a service: who it is and where its outputs go. */
function preamble(name: string, outputs: boolean): string[] {
  const lines = [
    `SERVICE=${shellQuote(name)}`,
    `OUTPUTS=${shellQuote(onDevice.outputsOf(name))}`,
    "export SERVICE OUTPUTS",
  ];
  if (outputs) lines.push(`mkdir -p "$OUTPUTS"`);
  return lines;
}

/**
 * The template of a service's secret files, its owners resolved to ids: values stay outputs
 * until the device renders them (`secrets render`), so none is in the image.
 */
function secretsSpec(node: ServiceNode, o: Options): SecretsSpec | null {
  const entries = Object.entries(node.spec.secrets);
  if (entries.length === 0) return null;
  const files: SecretsSpec["files"] = {};
  for (const [name, f] of entries) {
    const where = formatPath([...node.path, "secrets", name]);
    const user = o.users[f.owner];
    if (!user) throw new ConfigError(where, node.service.origin, `owner "${f.owner}" is not a user of the system`);
    const group = o.groups[f.group];
    if (!group) throw new ConfigError(where, node.service.origin, `group "${f.group}" is not a group of the system`);
    files[name] = {
      uid: user.uid,
      gid: group.gid,
      mode: f.mode,
      parts: f.content.map((p) =>
        typeof p === "string"
          ? p
          : p instanceof OutputRef
            ? { service: p.service.name, path: p.path, as: "line" as const }
            : { service: p.ref.service.name, path: p.ref.path, as: p.as },
      ),
    };
  }
  return { version: secretsVersion, files };
}

function serviceFiles(tree: Tree, node: ServiceNode, o: Options): void {
  const s = node.spec;
  const from = formatPath(node.path);
  const file = node.service.origin;
  const declares = s.outputs.length > 0;
  const secrets = secretsSpec(node, o);
  // literal secrets (a password in the configuration) are in the template: root alone reads it
  if (secrets) tree.text(onDevice.secretSpecOf(s.name), JSON.stringify(secrets, null, 1) + "\n", from, file, 0o600);
  const clearSecrets = secrets ? [`rm -rf ${shellQuote(onDevice.secretsOf(s.name))}`] : [];
  if (s.type === "longrun") {
    const dir = onDevice.longrun(s.name);
    // A missing output fails the start: s6 tries again (once a second at most).
    const render = secrets ? [`limen secrets render "$SERVICE" || exit 1`] : [];
    // stderr joins stdout so everything the daemon says reaches its logger.
    tree.script(`${dir}/run`, ["#!/bin/sh", "exec 2>&1", ...preamble(s.name, declares), ...render, s.run!], from, file);
    // s6 runs finish after every exit of run: the outputs of a process that is gone are stale,
    // and its secrets are no longer needed. A secret render refused stays refused until the
    // value changes: exit 125 tells s6 not to start it again (svc status says why).
    const refused = secrets ? [`[ ! -e ${shellQuote(onDevice.refusedOf(s.name))} ] || exit 125`] : [];
    tree.script(
      `${dir}/finish`,
      ["#!/bin/sh", `rm -rf ${shellQuote(onDevice.outputsOf(s.name))}`, ...clearSecrets, ...refused],
      from,
      file,
    );
    if (s.notificationFd !== null) tree.text(`${dir}/notification-fd`, `${s.notificationFd}\n`, from, file);
    // Each line gets the service name and goes on to the catch-all logger, which collates and rotates.
    tree.script(`${dir}/log/run`, ["#!/bin/sh", `exec s6-log -- ${shellQuote(`p${s.name}:`)} 1`], from, file);
  } else if (s.type === "oneshot") {
    const dir = onDevice.oneshot(s.name);
    const render = secrets ? [`limen secrets render "$SERVICE"`] : [];
    tree.script(`${dir}/up`, ["#!/bin/sh", "set -e", ...preamble(s.name, declares), ...render, s.up!], from, file);
    if (s.down !== null || declares || secrets) {
      const clear = [...(declares ? [`rm -rf "$OUTPUTS"`] : []), ...clearSecrets];
      tree.script(
        `${dir}/down`,
        ["#!/bin/sh", "set -e", ...preamble(s.name, false), ...(s.down !== null ? [s.down] : []), ...clear],
        from,
        file,
      );
    }
  }
  for (const [path, f] of Object.entries(s.files)) tree.add(path, f, from, file);
}

/** The name of the group a user's files belong to: the one with the user's gid. */
function primaryGroup(o: Options, name: string, source: string): string {
  const gid = o.users[name].gid;
  const found = Object.entries(o.groups).find(([, g]) => g.gid === gid);
  if (!found) throw new ConfigError(`users.${name}.gid`, source, `${gid} is not the gid of a group (see groups)`);
  return found[0];
}

function accounts(tree: Tree, o: Options, source: string): void {
  const users = Object.entries(o.users).sort(([, a], [, b]) => a.uid - b.uid);
  const groups = Object.entries(o.groups).sort(([, a], [, b]) => a.gid - b.gid);
  tree.text(
    onDevice.passwd,
    users.map(([n, u]) => `${n}:x:${u.uid}:${u.gid}:${u.gecos}:${u.dir}:${u.shell}\n`).join(""),
    "users",
    source,
  );
  tree.text("/etc/shadow", users.map(([n, u]) => `${n}:${u.passwd}:1::::::\n`).join(""), "users", source, 0o600);
  tree.text(
    onDevice.group,
    groups.map(([n, g]) => `${n}:x:${g.gid}:${g.usernames.join(",")}\n`).join(""),
    "groups",
    source,
  );
  for (const [n, u] of users) {
    const keys = u.openssh.authorizedKeys.keys;
    if (keys.length === 0) continue;
    const group = primaryGroup(o, n, source);
    const from = `users.${n}.openssh.authorizedKeys.keys`;
    tree.add(`${u.dir}/.ssh`, { type: "directory", mode: 0o700, owner: n, group }, from, source);
    tree.add(
      `${u.dir}/.ssh/authorized_keys`,
      { type: "file", content: keys.map((k) => `${k}\n`).join(""), mode: 0o600, owner: n, group },
      from,
      source,
    );
  }
}

/**
 * Every user's home, owned by the user, unless the configuration makes it itself: not `/`, nor
 * one on the /run tmpfs, which init makes at boot from /etc/passwd.
 */
function homes(tree: Tree, o: Options, source: string): void {
  for (const [n, u] of Object.entries(o.users)) {
    if (u.dir === "/" || u.dir === "/run" || u.dir.startsWith("/run/") || tree.has(u.dir)) continue;
    const home = { type: "directory" as const, mode: 0o755, owner: n, group: primaryGroup(o, n, source) };
    tree.add(u.dir, home, `users.${n}.dir`, source);
  }
}

function kernelConfig(o: Options, source: string): Record<string, string> {
  const config = { ...o.kernel.config };
  for (const [when, extra] of Object.entries(o.kernel.conditionalConfig)) {
    if (config[when] !== "y" && config[when] !== "m") continue;
    for (const [k, v] of Object.entries(extra)) {
      if (config[k] !== undefined && config[k] !== v) {
        throw new ConfigError(
          `kernel.conditionalConfig.${when}.${k}`,
          source,
          `"${v}" conflicts with kernel.config.${k} = "${config[k]}"`,
        );
      }
      config[k] = v;
    }
  }
  return Object.fromEntries(Object.entries(config).sort(([a], [b]) => (a < b ? -1 : 1)));
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/** One request a package: asked for by name anywhere, all its executables; otherwise every file asked for. */
export function packageRequests(entries: PackageEntry[]): PackageRequest[] {
  const wanted = new Map<string, Set<string> | "executables">();
  for (const e of entries) {
    const [name, files] = typeof e === "string" ? [e, "executables" as const] : [e.name, e.files];
    const have = wanted.get(name);
    if (have === "executables" || files === "executables") wanted.set(name, "executables");
    else wanted.set(name, new Set([...(have ?? []), ...files]));
  }
  return [...wanted]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, files]) => ({ package: name, files: files === "executables" ? files : sorted(files) }));
}

/** Parameters made JSON-safe; a service is named as in the system (`names`), or by its own name. */
function paramValue(v: unknown, names: ReadonlyMap<Service, string>): ParamValue {
  const nameOf = (s: Service) => names.get(s) ?? s.name;
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (v instanceof Service) return nameOf(v);
  if (v instanceof OutputRef) return { service: nameOf(v.service), path: v.path };
  if (typeof v === "function") {
    // a lazy service reference (ServiceRef)
    const s: unknown = (v as () => unknown)();
    return s instanceof Service ? nameOf(s) : null;
  }
  if (Array.isArray(v)) return v.map((x) => paramValue(x, names));
  if (typeof v === "object")
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, paramValue(x, names)]),
    );
  return typeof v === "bigint" ? v.toString() : null;
}

function serviceOrigin(node: ServiceNode, names: ReadonlyMap<Service, string>): ServiceOrigin {
  return {
    origin: node.service.origin,
    templates: node.spec.templates.map(({ template, params }) => ({
      name: template.name,
      module: template.owner ? { name: template.owner.name, file: template.owner.file } : null,
      params: paramValue(params, names),
    })),
  };
}

export function compile(ev: Evaluated): SystemDescription {
  const o = ev.options;
  const source = ev.config.file;
  const inSystem = new Map(ev.services.map((n) => [n.service, n.name]));
  const database: Database = {
    version: databaseVersion,
    services: Object.fromEntries(
      [...ev.services].sort((a, b) => (a.name < b.name ? -1 : 1)).map((n) => [n.name, entry(n)]),
    ),
  };
  const checked = databaseSchema.safeParse(database);
  if (!checked.success)
    throw new Error(`compiled service database is invalid (a compiler bug): ${checked.error.message}`);

  const tree = new Tree();
  for (const [path, f] of Object.entries(o.filesystem)) tree.add(path, f, formatPath(["filesystem", path]), source);
  tree.text(onDevice.hostname, `${o.hostname}\n`, "hostname", source);
  tree.text(onDevice.hosts, hostsFile(o.hostname, o.hosts), "hosts", source);
  tree.text(onDevice.sysctl, sysctlFile(o.sysctl), "sysctl", source);
  accounts(tree, o, source);
  for (const node of ev.services) serviceFiles(tree, node, o);
  homes(tree, o, source);
  tree.text(onDevice.database, JSON.stringify(database, null, 1) + "\n", "services", source);
  const logging: LoggingSettings = {
    version: loggingVersion,
    directory: o.logging.directory,
    script: o.logging.script.split(/\s+/),
  };
  tree.text(onDevice.logging, JSON.stringify(logging) + "\n", "logging", source);

  const interfaces = Object.entries(o.hardware.networkInterfaces).flatMap(([role, s]) => {
    const name = inSystem.get(s);
    return name === undefined ? [] : [[role, name] as const];
  });
  return {
    device: { name: ev.device.name, cpu: ev.device.cpu, debianArch: ev.device.debianArch },
    emulator: ev.device.emulator,
    hostname: o.hostname,
    database,
    services: Object.fromEntries(
      [...ev.services].sort((a, b) => (a.name < b.name ? -1 : 1)).map((n) => [n.name, serviceOrigin(n, inSystem)]),
    ),
    defaultServices: ev.defaultServices,
    files: tree.files(o),
    packages: packageRequests([...o.packages, ...o.defaultProfile.packages]),
    kernel: {
      config: kernelConfig(o, source),
      makeTargets: o.kernel.makeTargets,
      loadModules: sorted(o.kernel.loadModules),
    },
    busybox: {
      applets: sorted([...o.programs.busybox.applets, ...(o.programs.busybox.adminApplets ? adminApplets : [])]),
    },
    boot: o.boot,
    rootfsType: o.rootfsType,
    rootOptions: o.rootOptions,
    hardware: { ...o.hardware, networkInterfaces: Object.fromEntries(interfaces) },
  };
}
