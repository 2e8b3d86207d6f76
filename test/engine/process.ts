import * as os from "qjs:os";
import { lockFile, spawn } from "limen:native";
import { environ, exitCode, readAll, runCapture, spawnAsync, wait } from "../../runtime/src/lib/process";
import { decode } from "../../runtime/src/lib/utf8";
import { equal, throwsNative, type Suite } from "./assert";

const isRoot = runCapture(["/bin/sh", "-c", "id -u"]).stdout.trim() === "0";

export const processes: Suite = {
  "wait statuses become exit codes": () => {
    equal([exitCode(0), exitCode(3 << 8), exitCode(9), exitCode(15)], [0, 3, 137, 143], "codes");
    equal(runCapture(["/bin/sh", "-c", "exit 7"]).code, 7, "exit 7");
    equal(runCapture(["/bin/sh", "-c", "kill -TERM $$"]).code, 128 + 15, "killed by SIGTERM");
  },
  "environment and working directory reach the child": () => {
    const r = runCapture(
      ["/bin/sh", "-c", 'printf "%s %s" "$GREETING" "$(pwd)"'],
      { cwd: "/" },
      environ({ GREETING: "hello there" }),
    );
    equal(r.stdout, "hello there /", "output");
  },
  "fds are mapped as asked and every other fd is closed": () => {
    const [r1, w1] = os.pipe()!;
    const [r2, w2] = os.pipe()!;
    // the child's stdout is pipe 2 and its stderr pipe 1; fd 3 and up are closed
    const pid = spawn(["/bin/sh", "-c", "echo out; echo err >&2; ls /proc/self/fd | wc -l >&2"], environ(), {
      fds: [0, w2, w1],
    });
    os.close(w1);
    os.close(w2);
    const err = decode(readAll(r1)).trim().split("\n");
    const out = decode(readAll(r2)).trim();
    os.close(r1);
    os.close(r2);
    equal(wait(pid), 0, "exit");
    equal(out, "out", "stdout");
    // 0, 1, 2 and the fd ls opens on /proc/self/fd
    equal(err, ["err", "4"], "stderr and open fd count");
  },
  "a program that cannot start throws with its name": () => {
    throwsNative(() => spawn(["/nonexistent/prog"], environ(), {}), "ENOENT", "spawn(exec)", "/nonexistent/prog");
    throwsNative(() => spawn(["/bin/true"], environ(), { cwd: "/nonexistent" }), "ENOENT", "spawn(chdir)", "/bin/true");
  },
  "bad arguments are type errors, not crashes": () => {
    let message = "";
    try {
      spawn([], environ(), {});
    } catch (e) {
      message = (e as Error).message;
    }
    equal(message, "spawn: argv is empty", "empty argv");
    try {
      spawn(["/bin/true", 3 as unknown as string], environ(), {});
    } catch (e) {
      message = (e as Error).message;
    }
    equal(message, "spawn: argv[1] is not a string", "non-string argument");
  },
  "gid and groups are set before uid": () => {
    const drop = { uid: 65534, gid: 65534 };
    if (isRoot) {
      const r = runCapture(["/bin/sh", "-c", "id -u; id -g; id -G"], drop);
      equal(r.stdout.trim().split("\n"), ["65534", "65534", "65534"], "ids");
    } else {
      throwsNative(() => runCapture(["/bin/true"], drop), "EPERM", "spawn(setgroups)", "/bin/true");
    }
  },
  "children awaited together end in their own order, each with its exit code": async () => {
    const order: string[] = [];
    // the slow one starts first; the loop must not stall on it (nor on a chain of awaits)
    const slow = spawnAsync(["/bin/sh", "-c", "sleep 0.3; exit 4"]).exited.then((c) => (order.push("slow"), c));
    const fast = spawnAsync(["/bin/sh", "-c", "exit 5"]).exited.then(async (c) => {
      // a chain of plain awaits, each a turn of the job queue, is what is tested
      // eslint-disable-next-line @typescript-eslint/await-thenable -- deliberately not a promise
      await null;
      // eslint-disable-next-line @typescript-eslint/await-thenable -- deliberately not a promise
      await null;
      order.push("fast");
      return c;
    });
    equal(await Promise.all([slow, fast]), [4, 5], "exit codes");
    equal(order, ["fast", "slow"], "order");
  },
  "lockFile waits while another process holds the lock": () => {
    const path = `/tmp/limen-engine-lock-${os.getpid()}`;
    // A child inherits our locked descriptor (a flock lock belongs to the open file, so it stays
    // held until the child ends) and writes its last words just before it ends. Only sh, sleep
    // and echo are used: busybox on a router has no flock command.
    const held = lockFile(path);
    const pid = spawn(["/bin/sh", "-c", `sleep 0.3; echo done > ${path}.done`], environ(), { fds: [0, 1, 2, held] });
    os.close(held);
    const fd = lockFile(path);
    equal(os.stat(`${path}.done`)[1], 0, "the holder finished before the lock was ours");
    equal(wait(pid), 0, "holder exit");
    os.close(fd);
    for (const f of [path, `${path}.done`]) os.remove(f);
    throwsNative(() => lockFile("/nonexistent/lock"), "ENOENT", "open", "/nonexistent/lock");
  },
};
