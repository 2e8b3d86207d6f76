// `uevent-rule`: starts a controlled service while a device matching the rule is present and stops
// it when the last one goes, from the kernel's uevents (after a coldplug pass over sysfs for what
// was there before). Optionally keeps a symlink to the device node of the matching device, and
// publishes that device as the controller's outputs (devpath, devname).
import * as os from "qjs:os";
import * as std from "qjs:std";
import { mkdirs } from "../lib/fs";
import { coldplug, listen, openUevents, parseUevent, sysfs, type Uevent } from "../lib/netlink";
import { removeOutputs, writeOutput } from "../svc/outputs";
import { paths } from "../svc/paths";
import { logger, UsageError } from "../svc/controller";
import { Controlled } from "./controlled";

const usage = `usage: uevent-rule [--symlink PATH] [--attr NAME=VALUE]... SERVICE KEY=VALUE...
  Keeps SERVICE (and what needs it) up while a device is present whose uevent has every KEY=VALUE
  (keys as the kernel writes them, any case: subsystem=block devtype=partition partname=backup)
  and whose sysfs attributes hold every --attr NAME=VALUE (NAME may be a path: loop/backing_file).
  --symlink PATH   a symlink at PATH to /dev/DEVNAME of the matching device while it is present`;

export interface Rule {
  service: string;
  /** Uevent keys (upper case) and the values they must have. */
  terms: Record<string, string>;
  /** Sysfs attributes of the device and their values (trailing newline ignored). */
  attributes: Record<string, string>;
  symlink: string | null;
}

function pair(arg: string, what: string): [string, string] {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new UsageError(`${what} "${arg}" is not NAME=VALUE`);
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}

export function parseRule(args: string[]): Rule {
  const rule: Rule = { service: "", terms: {}, attributes: {}, symlink: null };
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--symlink" || a === "--attr") {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      if (a === "--symlink") {
        if (!v.startsWith("/")) throw new UsageError(`--symlink "${v}" is not an absolute path`);
        rule.symlink = v;
      } else {
        const [k, val] = pair(v, "--attr");
        if (k.split("/").some((part) => part === "" || part.startsWith(".")))
          throw new UsageError(`--attr "${k}" is not an attribute path (names under the device's sysfs directory)`);
        rule.attributes[k] = val;
      }
    } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else rest.push(a);
  }
  const [service, ...terms] = rest;
  if (service === undefined || service.includes("=")) throw new UsageError("no service given");
  if (terms.length === 0 && Object.keys(rule.attributes).length === 0)
    throw new UsageError("no terms given: the rule would match every device");
  rule.service = service;
  for (const t of terms) {
    const [k, v] = pair(t, "term");
    rule.terms[k.toUpperCase()] = v;
  }
  return rule;
}

function attribute(devpath: string, name: string): string | null {
  const text = std.loadFile(`${sysfs}${devpath}/${name}`);
  return text === null ? null : text.replace(/\n$/, "");
}

export function matches(rule: Rule, event: Uevent): boolean {
  return (
    Object.entries(rule.terms).every(([k, v]) => event.env[k] === v) &&
    Object.entries(rule.attributes).every(([k, v]) => attribute(event.devpath, k) === v)
  );
}

/** Points `path` at `target` at once (a new link renamed over the old one), making its directory. */
function replaceSymlink(target: string, path: string): void {
  mkdirs(path.slice(0, path.lastIndexOf("/")));
  const tmp = `${path}.tmp${os.getpid()}`;
  os.remove(tmp);
  let r = os.symlink(target, tmp);
  if (r === 0) r = os.rename(tmp, path);
  if (r < 0) throw new Error(`symlink ${path} -> ${target}: ${std.strerror(-r)}`);
}

export async function main(args: string[]): Promise<number> {
  if (args.includes("--help")) {
    console.log(usage);
    return 0;
  }
  const self = std.getenv("SERVICE") ?? "uevent-rule";
  const log = logger(self);
  let rule: Rule;
  let controlled: Controlled;
  try {
    rule = parseRule(args);
    controlled = new Controlled(self, rule.service);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    std.err.puts(`uevent-rule: ${e.message}\n${usage}\n`);
    return 100;
  }
  /** Matching devices present, in the order they came: the first is the one published. */
  const present = new Map<string, Uevent>();
  let published: string | null = null;

  const outputs = std.getenv("SERVICE") !== undefined;
  /** Outputs and symlink follow the first matching device; `force` rewrites them (at a resync). */
  const publish = (force = false): void => {
    const device = present.values().next().value;
    const devpath = device?.devpath ?? null;
    if (devpath === published && !force) return;
    published = devpath;
    if (device === undefined) {
      if (outputs) removeOutputs(self);
      if (rule.symlink !== null) os.remove(rule.symlink);
      return;
    }
    const devname = device.env.DEVNAME;
    if (outputs) {
      writeOutput(self, "devpath", device.devpath);
      if (devname !== undefined) writeOutput(self, "devname", devname);
      else os.remove(`${paths.outputsOf(self)}/devname`); // the previous device's
    }
    if (rule.symlink === null) return;
    if (devname === undefined) log(`${device.devpath} has no device node: no symlink at ${rule.symlink}`);
    else replaceSymlink(`/dev/${devname}`, rule.symlink);
  };

  const seen = (event: Uevent): void => {
    const { action, devpath } = event;
    const before = present.size;
    if (action === "move" && event.env.DEVPATH_OLD !== undefined) present.delete(event.env.DEVPATH_OLD);
    if (action === "remove") present.delete(devpath);
    else if (action === "add" || action === "change" || action === "move" || action === "bind") {
      if (matches(rule, event)) {
        if (!present.has(devpath)) log(`${devpath} (${action}) matches`);
        present.set(devpath, event);
      } else present.delete(devpath);
    }
    publish();
    if ((before === 0) !== (present.size === 0))
      controlled.want(present.size > 0, present.size > 0 ? `${devpath} present` : `${devpath} gone`);
  };

  /** The devices sysfs shows now replace what we knew (at start, and after lost events). */
  const resync = (why: string): void => {
    const now = coldplug(rule.terms.SUBSYSTEM).filter((e) => matches(rule, e));
    present.clear();
    for (const e of now) present.set(e.devpath, e);
    publish(true);
    controlled.want(
      present.size > 0,
      `${why}: ${present.size > 0 ? `${[...present.keys()].join(", ")} present` : "no matching device"}`,
    );
  };

  // listen first, so that nothing that comes during the coldplug pass is missed
  const fd = openUevents();
  listen(
    fd,
    (data) => {
      const event = parseUevent(data);
      if (event !== null) seen(event);
    },
    () => resync("uevents were lost"),
  );
  resync("coldplug");
  // events arrive through the read handler for as long as the service runs
  return new Promise<number>(() => {});
}
