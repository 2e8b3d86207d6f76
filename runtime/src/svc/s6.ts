// What svc reads from and builds for s6: the scan directory of longruns and the status file that
// s6-supervise keeps for each (read directly: spawning s6-svstat per service would cost more).
import * as os from "qjs:os";
import * as std from "qjs:std";
import { chmod, mknod, S_IFIFO } from "limen:native";
import { exists, listDir, mkdirs, readBytes, writeAtomic } from "../lib/fs";
import { exitCode } from "../lib/process";
import type { Graph } from "./graph";
import { paths } from "./paths";
import { readTai64n, type Stamp } from "./tai";

export interface SuperviseStatus {
  /** s6-svc -u was the last command: the service is up for svc even while s6 restarts it. */
  wantUp: boolean;
  /** Pid of the running process; 0 when none. */
  pid: number;
  /** Up and ready as s6 tracks it (meaningful only for a service with a notification fd). */
  ready: boolean;
  /** Last change of up/down. */
  since: Stamp;
  /** When down: exit code (128 + signal when killed) of the last process (0 if none ran). */
  lastExit: number | null;
}

/** s6-supervise's status file: tai64n stamp, tai64n ready stamp, pid (u64), wait status (u16), flags. */
const statusSize = 35;
const flagFinishing = 2;
const flagWantUp = 4;
const flagReady = 8;

export function serviceDir(name: string): string {
  return `${paths.scan}/${name}`;
}

/** The supervisor's view of a longrun; null when no s6-supervise has run for it. */
export function readStatus(name: string): SuperviseStatus | null {
  const bytes = readBytes(`${serviceDir(name)}/supervise/status`);
  if (bytes === null) return null;
  if (bytes.length < statusSize)
    throw new Error(
      `${serviceDir(name)}/supervise/status: ${bytes.length} bytes, expected ${statusSize} (an s6 of another version?)`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const pid = view.getUint32(28);
  const flags = view.getUint8(34);
  const up = pid !== 0 && (flags & flagFinishing) === 0;
  return {
    wantUp: (flags & flagWantUp) !== 0,
    pid: up ? pid : 0,
    ready: up && (flags & flagReady) !== 0,
    since: readTai64n(bytes, 0),
    lastExit: up ? null : exitCode(view.getUint16(32)),
  };
}

function link(target: string, path: string): void {
  const r = os.symlink(target, path);
  if (r < 0) throw new Error(`symlink ${path}: ${std.strerror(-r)}`);
}

const script = (body: string): string => `#!/bin/sh\n${body}\n`;

function writeScript(path: string, body: string): void {
  writeAtomic(path, script(body), 0o755);
  chmod(path, 0o755);
}

/** Name of the catch-all logger's service in the scan directory (as s6-linux-init names it). */
export const catchAllLogger = "s6-svscan-log";

/**
 * Builds the scan directory at boot, before s6-svscan starts: for each longrun a directory of
 * links to its files in the image (s6-supervise needs to write next to them, the image is
 * read-only), a run script starting the image's with stderr joined to stdout, a `down` file (boot or `svc start` brings it up), and a logger that prefixes its
 * lines with the service name; plus the catch-all logger writing the collated log.
 */
export function buildScanDir(graph: Graph): void {
  mkdirs(paths.scan);
  mkdirs(paths.log);
  mkdirs(paths.state);
  mkdirs(paths.outputs);
  if (!exists(paths.logFifo)) mknod(paths.logFifo, S_IFIFO | 0o600, 0, 0);
  const logger = `${paths.scan}/${catchAllLogger}`;
  mkdirs(logger);
  // s6-log: t = TAI64N stamp, s = rotate at this many bytes, n = archives kept
  writeScript(`${logger}/run`, `exec s6-log -- t s100000 n10 ${paths.log} < ${paths.logFifo}`);
  for (const name of graph.names().filter((n) => graph.entry(n).type === "longrun")) {
    const source = `${paths.longruns}/${name}`;
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
