// Service outputs: small files under /run/services/outputs/<service>/ that a service writes for
// others to read (an address, an interface name). Written atomically; gone when the service stops.
import * as os from "qjs:os";
import * as native from "limen:native";
import { decode } from "../lib/utf8";
import { isDir, listDir, mkdirs, readBytes, removeTree, writeAtomic } from "../lib/fs";
import { paths } from "./paths";

/** A key is a relative path of plain names ("address", "ipv6/prefix"). */
function checkKey(key: string): void {
  if (key === "" || key.split("/").some((p) => p === "" || p === "." || p === ".." || p.startsWith("."))) {
    throw new Error(`output key "${key}": must be a relative path of names not starting with a dot`);
  }
}

/** Permission bits of an ordinary output, which every user may read, and of a secret one. */
export const publicMode = 0o644;
export const secretMode = 0o600;

/** Writes one output with `mode` (its folders, when new, are 0o755: the service's other outputs stay readable). */
export function writeOutput(service: string, key: string, value: string, mode = publicMode): void {
  checkKey(key);
  const path = `${paths.outputsOf(service)}/${key}`;
  mkdirs(path.slice(0, path.lastIndexOf("/")));
  writeAtomic(path, value, mode);
}

/** Permission bits of a service's outputs folder (key "") or of one of its outputs or their folders; null when gone. */
export function outputMode(service: string, key: string): number | null {
  if (key !== "") checkKey(key);
  const [st, err] = os.stat(key === "" ? paths.outputsOf(service) : `${paths.outputsOf(service)}/${key}`);
  return err === 0 ? st.mode & 0o777 : null;
}

/** Makes a service's outputs folder (key "") or a folder of its outputs, with exactly `mode`. */
export function outputFolder(service: string, key: string, mode: number): void {
  if (key !== "") checkKey(key);
  const path = key === "" ? paths.outputsOf(service) : `${paths.outputsOf(service)}/${key}`;
  mkdirs(path, mode);
  native.chmod(path, mode);
}

/** One output's text, or null when the service has not written it. */
export function readOutput(service: string, key: string): string | null {
  checkKey(key);
  const bytes = readBytes(`${paths.outputsOf(service)}/${key}`);
  return bytes === null ? null : decode(bytes);
}

/** All outputs of a service, nested keys joined with "/"; empty when it has none. */
export function readOutputs(service: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const name of listDir(dir)) {
      if (name.startsWith(".")) continue; // a write in progress
      const path = `${dir}/${name}`;
      if (isDir(path)) walk(path, `${prefix}${name}/`);
      else {
        const bytes = readBytes(path);
        if (bytes !== null) out[`${prefix}${name}`] = decode(bytes);
      }
    }
  };
  walk(paths.outputsOf(service), "");
  return out;
}

export function removeOutputs(service: string): void {
  removeTree(paths.outputsOf(service));
}

export interface Watch {
  close(): void;
}

const dirEvents = native.IN_CREATE | native.IN_DELETE | native.IN_MOVED_TO | native.IN_MOVED_FROM;

/** Directories of a service's outputs: its own and those of nested keys. */
function outputDirs(dir: string): string[] {
  if (!isDir(dir)) return [];
  return [
    dir,
    ...listDir(dir)
      .filter((n) => !n.startsWith("."))
      .flatMap((n) => outputDirs(`${dir}/${n}`)),
  ];
}

/**
 * Calls `onChange` with a service's outputs now and whenever they change (written, removed, or
 * the whole directory gone when the service stops), without polling: inotify on the outputs
 * directory and on the service's own directories (adding a watch twice is harmless; a removed
 * directory's watch goes by itself).
 */
export function watchOutputs(service: string, onChange: (outputs: Record<string, string>) => void): Watch {
  mkdirs(paths.outputs);
  const fd = native.inotifyInit();
  native.inotifyAddWatch(fd, paths.outputs, dirEvents);
  let last: string | null = null;
  const refresh = (): void => {
    for (const dir of outputDirs(paths.outputsOf(service))) {
      try {
        native.inotifyAddWatch(fd, dir, dirEvents | native.IN_CLOSE_WRITE);
      } catch (e) {
        // removed since we listed it (the service stopping): the parent's watch reports that
        if ((e as native.NativeError).code !== "ENOENT") throw e;
      }
    }
    const now = readOutputs(service);
    const text = JSON.stringify(now);
    if (text !== last) {
      last = text;
      onChange(now);
    }
  };
  os.setReadHandler(fd, () => {
    native.inotifyRead(fd);
    refresh();
  });
  refresh();
  return {
    close(): void {
      os.setReadHandler(fd, null);
      os.close(fd);
    },
  };
}
