// Small file helpers over qjs:os: errors name the call and the path.
import * as os from "qjs:os";
import * as std from "qjs:std";
import { chmod, chown } from "limen:native";
import { readAll, writeAll } from "./process";

const ENOENT = -2;
const EEXIST = -17;

function fail(call: string, path: string, ret: number): never {
  throw new Error(`${call} ${path}: ${std.strerror(-ret)}`);
}

/** The file's bytes, or null when it does not exist. */
export function readBytes(path: string): Uint8Array | null {
  const fd = os.open(path, os.O_RDONLY);
  if (fd === ENOENT) return null;
  if (fd < 0) fail("open", path, fd);
  try {
    return readAll(fd);
  } finally {
    os.close(fd);
  }
}

export function exists(path: string): boolean {
  return os.lstat(path)[1] === 0;
}

export function isDir(path: string): boolean {
  const [st, err] = os.stat(path);
  return err === 0 && (st.mode & os.S_IFMT) === os.S_IFDIR;
}

/** Names in a directory (without . and ..); empty when it does not exist. */
export function listDir(path: string): string[] {
  const [names, err] = os.readdir(path); // err: a positive errno
  if (err === -ENOENT) return [];
  if (err !== 0) fail("readdir", path, -err);
  return names.filter((n) => n !== "." && n !== "..").sort();
}

/** Creates a directory and its missing parents. */
export function mkdirs(path: string, mode = 0o755): void {
  const parts = path.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const at = parts.slice(0, i).join("/");
    if (at === "" || isDir(at)) continue;
    const r = os.mkdir(at, mode);
    if (r < 0 && r !== EEXIST) fail("mkdir", at, r);
  }
}

/** Removes a file or a whole directory tree; a missing path is not an error. */
export function removeTree(path: string): void {
  const [st, err] = os.lstat(path);
  if (err !== 0) return;
  if ((st.mode & os.S_IFMT) === os.S_IFDIR) for (const name of listDir(path)) removeTree(`${path}/${name}`);
  const r = os.remove(path);
  if (r < 0 && r !== ENOENT) fail("remove", path, r);
}

/**
 * Replaces a file's contents at once: readers see the old file or the new one, never a part.
 * The temporary file is hidden (a dot name) so that directory readers can skip it. With `owner`,
 * the file has its owner and exact mode before it appears under its name.
 */
export function writeAtomic(path: string, data: string, mode = 0o644, owner?: { uid: number; gid: number }): void {
  const slash = path.lastIndexOf("/");
  const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.tmp${os.getpid()}`;
  const fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode);
  if (fd < 0) fail("open", tmp, fd);
  try {
    writeAll(fd, data);
  } catch (e) {
    // a full filesystem: the file keeps its old contents, and no part of the new one stays
    os.close(fd);
    os.remove(tmp);
    throw e;
  }
  os.close(fd);
  if (owner) {
    try {
      chown(tmp, owner.uid, owner.gid);
      chmod(tmp, mode);
    } catch (e) {
      os.remove(tmp);
      throw e;
    }
  }
  const r = os.rename(tmp, path);
  if (r < 0) {
    os.remove(tmp);
    fail("rename", path, r);
  }
}
