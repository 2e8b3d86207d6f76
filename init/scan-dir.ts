// The s6 scan directory, built at boot before s6-svscan starts (and by `svc init` in the tests):
// each longrun's directory of links into the read-only image, and the catch-all logger.
import * as os from "qjs:os";
import * as std from "qjs:std";
import { chmod, mknod, S_IFIFO } from "limen:native";
import { exists, listDir, mkdirs, writeAtomic } from "../runtime/src/lib/fs";
import { initServices } from "../runtime/src/svc/database";
import type { Graph } from "../runtime/src/svc/graph";
import { loggingSettings } from "../runtime/src/svc/log";
import { paths } from "../runtime/src/svc/paths";
import { serviceDir } from "../runtime/src/svc/s6";

function link(target: string, path: string): void {
  const r = os.symlink(target, path);
  if (r < 0) throw new Error(`symlink ${path}: ${std.strerror(-r)}`);
}

const script = (body: string): string => `#!/bin/sh\n${body}\n`;

function writeScript(path: string, body: string): void {
  writeAtomic(path, script(body), 0o755);
  chmod(path, 0o755);
}

/**
 * Builds the scan directory at boot, before s6-svscan starts: for each longrun a directory of
 * links to its files in the image (s6-supervise needs to write next to them, the image is
 * read-only), a run script starting the image's with stderr joined to stdout, a `down` file (boot or `svc start`
 * brings it up), and a logger that prefixes its
 * lines with the service name; plus the catch-all logger writing the collated log.
 */
export function buildScanDir(graph: Graph): void {
  const log = loggingSettings();
  mkdirs(paths.scan);
  mkdirs(log.directory);
  mkdirs(paths.state);
  mkdirs(paths.outputs);
  if (!exists(paths.logFifo)) mknod(paths.logFifo, S_IFIFO | 0o600, 0, 0);
  const logger = `${paths.scan}/${initServices.catchAllLogger}`;
  mkdirs(logger);
  // logging.script's directives (by default t = TAI64N stamp, s = rotate at this many bytes,
  // n = archives kept), then the folder; the words hold no quotes or spaces (checked on both sides)
  const words = [...log.script, log.directory].map((w) => `'${w}'`).join(" ");
  writeScript(`${logger}/run`, `exec s6-log -- ${words} < ${paths.logFifo}`);
  for (const name of graph.names().filter((n) => graph.entry(n).type === "longrun")) {
    const source = paths.longrun(name);
    const dir = serviceDir(name);
    if (exists(dir)) continue;
    if (!exists(`${source}/run`)) throw new Error(`longrun ${name}: ${source}/run is missing`);
    mkdirs(`${dir}/log`);
    for (const file of listDir(source)) {
      if (file === "run" || file === "log" || file === "down" || file === "supervise" || file === "event") continue;
      link(`${source}/${file}`, `${dir}/${file}`);
    }
    // s6 pipes only stdout to the logger: send stderr there too
    writeScript(`${dir}/run`, `exec 2>&1\nexec ${source}/run`);
    writeAtomic(`${dir}/down`, "");
    if (exists(`${source}/log/run`)) link(`${source}/log/run`, `${dir}/log/run`);
    else writeScript(`${dir}/log/run`, `exec s6-log -- p${name} 1`);
  }
}
