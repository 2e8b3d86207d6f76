// What svc reads of s6: the status file s6-supervise keeps for each longrun in the scan directory
// (read directly: spawning s6-svstat per service would cost more).
import { readBytes } from "../lib/fs";
import { exitCode } from "../lib/process";
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
