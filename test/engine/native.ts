import * as os from "qjs:os";
import * as std from "qjs:std";
import * as native from "limen:native";
import { equal, throwsNative, type Suite } from "./assert";

function scratch(name: string): string {
  const dir = `${std.getenv("TMPDIR") ?? "/tmp"}/limen-engine-${name}-${os.getpid()}`;
  os.mkdir(dir, 0o755);
  return dir;
}

export const nativeCalls: Suite = {
  "chmod, chown and umask change what they say": () => {
    const dir = scratch("chmod");
    const file = `${dir}/f`;
    std.writeFile(file, "x");
    native.chmod(file, 0o640);
    equal(os.stat(file)[0].mode & 0o7777, 0o640, "mode");
    const before = os.stat(file)[0];
    native.chown(file, -1, -1);
    equal([os.stat(file)[0].uid, os.stat(file)[0].gid], [before.uid, before.gid], "owner unchanged by -1");
    const old = native.umask(0o027);
    equal(native.umask(old), 0o027, "umask returns the previous mask");
    os.remove(file);
    os.remove(dir);
  },
  "mknod makes a fifo": () => {
    const dir = scratch("mknod");
    native.mknod(`${dir}/fifo`, native.S_IFIFO | 0o600, 0, 0);
    equal(os.stat(`${dir}/fifo`)[0].mode & os.S_IFMT, native.S_IFIFO, "type");
    throwsNative(
      () => native.mknod(`${dir}/missing/fifo`, native.S_IFIFO | 0o600, 0, 0),
      "ENOENT",
      "mknod",
      `${dir}/missing/fifo`,
    );
    os.remove(`${dir}/fifo`);
    os.remove(dir);
  },
  "failures name the call and the path": () => {
    throwsNative(() => native.mount("none", "/nonexistent/mnt", "tmpfs", 0), "ENOENT", "mount", "/nonexistent/mnt");
    throwsNative(() => native.umount("/nonexistent/mnt"), "ENOENT", "umount2", "/nonexistent/mnt");
    throwsNative(() => native.chroot("/nonexistent/root"), "ENOENT", "chroot", "/nonexistent/root");
    throwsNative(() => native.unixConnect("/nonexistent/socket"), "ENOENT", "connect", "/nonexistent/socket");
    const long = `/tmp/${"x".repeat(120)}`;
    throwsNative(() => native.unixListen(long), "ENAMETOOLONG", "socket", long);
    throwsNative(
      () => native.inotifyAddWatch(native.inotifyInit(), "/nonexistent/dir", native.IN_CREATE),
      "ENOENT",
      "inotify_add_watch",
      "/nonexistent/dir",
    );
  },
  "reboot refuses an unknown action without calling the kernel": () => {
    let message = "";
    try {
      native.reboot("explode" as "halt");
    } catch (e) {
      message = (e as Error).message;
    }
    equal(message, 'reboot: unknown action "explode" (restart, halt or poweroff)', "message");
  },
  "a uevent netlink socket opens and reads nothing when idle": () => {
    const fd = native.netlinkOpen(native.NETLINK_KOBJECT_UEVENT, 1);
    const n = os.read(fd, new ArrayBuffer(256), 0, 256);
    equal(n, -11 /* EAGAIN: non-blocking and idle */, "read");
    os.close(fd);
  },
  "inotify reports creation, then removal of a watched directory": () => {
    const dir = scratch("inotify");
    const fd = native.inotifyInit();
    const wd = native.inotifyAddWatch(fd, dir, native.IN_CREATE | native.IN_DELETE_SELF);
    equal(native.inotifyRead(fd), [], "nothing pending");
    std.writeFile(`${dir}/a`, "x");
    os.remove(`${dir}/a`);
    os.remove(dir);
    const events = native
      .inotifyRead(fd)
      .map((e) => [e.wd, e.name, e.mask & (native.IN_CREATE | native.IN_DELETE_SELF | native.IN_IGNORED)]);
    equal(
      events,
      [
        [wd, "a", native.IN_CREATE],
        [wd, "", native.IN_DELETE_SELF],
        [wd, "", native.IN_IGNORED],
      ],
      "events",
    );
    os.close(fd);
  },
};
