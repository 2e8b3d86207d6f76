// `logread`: the collated log of every service, as `svc log` shows it, under the name a router's
// admin types (OpenWrt's and busybox's); busybox's own reads syslogd's ring buffer, which no
// Limen system runs. -f follows the log as it grows, across s6-log's rotations; -e keeps the
// lines matching a regular expression (JavaScript's syntax, close to grep -E).
import * as os from "qjs:os";
import * as std from "qjs:std";
import * as native from "limen:native";
import { isDir } from "../lib/fs";
import { readAll } from "../lib/process";
import { decode } from "../lib/utf8";
import { logFiles, loggingSettings, showLine } from "../svc/log";

const usage = `usage: logread [-f] [-e PATTERN]
  -f          follow: go on printing lines as services write them
  -e PATTERN  only the lines matching PATTERN, a regular expression`;

const ENOENT = -2;

class UsageError extends Error {}

function parse(args: string[]): { follow: boolean; pattern: RegExp | null } {
  let follow = false;
  let pattern: RegExp | null = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-f") follow = true;
    else if (args[i] === "-e" && i + 1 < args.length) {
      const source = args[++i];
      try {
        pattern = new RegExp(source);
      } catch (e) {
        throw new UsageError(`-e ${source}: ${e instanceof Error ? e.message : String(e)}`);
      }
    } else throw new UsageError(args[i] === "-e" ? "-e needs a pattern" : `unknown argument ${args[i]}`);
  }
  return { follow, pattern };
}

/** The inode of an open fd, through /proc: qjs has no fstat. */
const inodeOf = (fd: number): number => os.stat(`/proc/self/fd/${fd}`)[0].ino;

/** An open log file, read up to its end as it grows, keeping an unfinished last line for later. */
class LogFile {
  #rest = new Uint8Array(0);
  private constructor(
    readonly fd: number,
    readonly inode: number,
  ) {}

  static open(path: string): LogFile | null {
    const fd = os.open(path, os.O_RDONLY);
    if (fd === ENOENT) return null;
    if (fd < 0) throw new Error(`open ${path}: ${std.strerror(-fd)}`);
    return new LogFile(fd, inodeOf(fd));
  }

  /** The lines written since the last call; with `all`, an unfinished last one too. */
  lines(all = false): string[] {
    const fresh = readAll(this.fd);
    const bytes = new Uint8Array(this.#rest.length + fresh.length);
    bytes.set(this.#rest);
    bytes.set(fresh, this.#rest.length);
    const end = all ? bytes.length : bytes.lastIndexOf(10) + 1;
    this.#rest = bytes.slice(end);
    return end === 0
      ? []
      : decode(bytes.subarray(0, end))
          .split("\n")
          .filter((l) => l !== "");
  }

  close(): string[] {
    const last = this.lines(true);
    os.close(this.fd);
    return last;
  }
}

export function main(args: string[]): Promise<number> | number {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    std.err.puts(`logread: ${e.message}\n${usage}\n`);
    return 100;
  }
  const { follow, pattern } = options;
  const print = (lines: string[]): void => {
    const shown = lines.flatMap((l) => {
      const s = showLine(l);
      return s !== null && (pattern === null || pattern.test(s)) ? [s] : [];
    });
    if (shown.length > 0) std.out.puts(shown.join("\n") + "\n");
    std.out.flush();
  };

  const dir = loggingSettings().directory;
  if (follow && !isDir(dir)) {
    std.err.puts(`logread: ${dir}: no log folder (is the catch-all logger running?)\n`);
    return 111;
  }
  const current = `${dir}/current`;
  const inotify = follow ? native.inotifyInit() : -1;
  // watched before the first read, so that nothing written after it goes unnoticed
  if (follow) native.inotifyAddWatch(inotify, dir, native.IN_MODIFY | native.IN_CREATE | native.IN_MOVED_TO);
  // `current` is opened before the archives are listed: should s6-log rotate in between, the
  // archive it becomes is skipped (its inode is the open file's) and read through the open file
  let file = LogFile.open(current);
  for (const name of logFiles(dir).filter((f) => f !== "current")) {
    const archive = LogFile.open(`${dir}/${name}`);
    if (archive === null) continue;
    if (archive.inode === file?.inode) os.close(archive.fd);
    else print(archive.close());
  }
  if (!follow) {
    print(file?.close() ?? []);
    return 0;
  }
  const catchUp = (): void => {
    if (file) print(file.lines());
    // rotated: the open file is an archive now, complete; the new `current` starts empty
    const [st, err] = os.stat(current);
    const now = err === 0 ? st.ino : null;
    if (file?.inode === now) return;
    if (file) print(file.close());
    file = now === null ? null : LogFile.open(current);
    if (file) print(file.lines());
  };
  catchUp();
  os.setReadHandler(inotify, () => {
    native.inotifyRead(inotify);
    catchUp();
  });
  // runs until killed: the inotify handler keeps the event loop alive
  return new Promise<number>(() => {});
}
