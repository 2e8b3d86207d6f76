// Starting programs and collecting their results, over limen:native's spawn.
import * as os from "qjs:os";
import * as std from "qjs:std";
import { pidfdOpen, spawn, type SpawnOptions } from "limen:native";
import { decode, encode } from "./utf8";

/** The current environment as KEY=VALUE strings, with `extra` overriding. */
/** Milliseconds on a clock that does not jump with the time of day (os.now counts microseconds). */
export const clock = (): number => Math.floor(os.now() / 1000);

export function environ(extra: Record<string, string> = {}): string[] {
  return Object.entries({ ...std.getenviron(), ...extra }).map(([k, v]) => `${k}=${v}`);
}

/** Exit code of a wait status; 128 + signal number for a process killed by a signal. */
export function exitCode(status: number): number {
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
}

/** Waits (blocking) for `pid` and returns its exit code. */
export function wait(pid: number): number {
  for (;;) {
    const [ret, status] = os.waitpid(pid, 0);
    if (ret === pid) return exitCode(status);
    if (ret !== -4 /* EINTR */) throw new Error(`waitpid ${pid}: ${std.strerror(-ret)}`);
  }
}

/** Reads an fd to its end. */
export function readAll(fd: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buf = new ArrayBuffer(4096);
  let total = 0;
  for (;;) {
    const n = os.read(fd, buf, 0, buf.byteLength);
    if (n === -4 /* EINTR */) continue;
    if (n < 0) throw new Error(`read: ${std.strerror(-n)}`);
    if (n === 0) break;
    chunks.push(new Uint8Array(buf.slice(0, n)));
    total += n;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Writes all of `data` to a blocking fd. */
export function writeAll(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? encode(data) : data;
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  for (let at = 0; at < bytes.length;) {
    const n = os.write(fd, buf, at, bytes.length - at);
    if (n === -4) continue;
    if (n <= 0) throw new Error(`write: ${std.strerror(-n)}`);
    at += n;
  }
}

/** Runs a program to completion with its stdout captured; stdin and stderr are inherited. */
export function runCapture(
  argv: string[],
  options: Omit<SpawnOptions, "fds"> = {},
  env = environ(),
): { code: number; stdout: string } {
  const pipe = os.pipe();
  if (!pipe) throw new Error("pipe: cannot create a pipe");
  const [r, w] = pipe;
  let pid: number;
  try {
    pid = spawn(argv, env, { ...options, fds: [0, w, 2] });
  } catch (e) {
    os.close(r);
    throw e;
  } finally {
    os.close(w);
  }
  try {
    const stdout = decode(readAll(r));
    return { code: wait(pid), stdout };
  } finally {
    os.close(r);
  }
}

/**
 * Starts a program; `exited` resolves with its exit code while other work runs meanwhile. The
 * child's pidfd wakes the event loop when it ends (no SIGCHLD handler: signals would interrupt
 * the loop's poll).
 */
export function spawnAsync(
  argv: string[],
  options: SpawnOptions = {},
  env = environ(),
): { pid: number; exited: Promise<number> } {
  const pid = spawn(argv, env, options);
  const fd = pidfdOpen(pid);
  const exited = new Promise<number>((resolve) => {
    os.setReadHandler(fd, () => {
      os.setReadHandler(fd, null);
      os.close(fd);
      resolve(wait(pid));
    });
  });
  return { pid, exited };
}
