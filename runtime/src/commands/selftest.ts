// `limen selftest`: proves on the machine at hand that the engine works and that the kernel
// interface behaves (inotify delivery, a unix socket round trip, a process in a new session).
import * as os from "qjs:os";
import * as std from "qjs:std";
import * as native from "limen:native";
import { runCapture, writeAll } from "../lib/process";
import { decode } from "../lib/utf8";

type Check = [name: string, run: () => void | Promise<void>];

function expect(what: string, actual: unknown, wanted: unknown): void {
  const a = JSON.stringify(actual);
  const w = JSON.stringify(wanted);
  if (a !== w) throw new Error(`${what}: got ${a}, wanted ${w}`);
}

/** Resolves when `fd` is readable, or rejects after `ms`. */
function readable(fd: number, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = os.setTimeout(() => {
      os.setReadHandler(fd, null);
      reject(new Error(`${what}: nothing arrived within ${ms} ms`));
    }, ms);
    os.setReadHandler(fd, () => {
      os.setReadHandler(fd, null);
      os.clearTimeout(timer);
      resolve();
    });
  });
}

function scratchDir(): string {
  const base = std.getenv("TMPDIR") ?? "/tmp";
  const dir = `${base}/limen-selftest-${os.getpid()}`;
  const r = os.mkdir(dir, 0o700);
  if (r < 0) throw new Error(`mkdir ${dir}: ${std.strerror(-r)}`);
  return dir;
}

const engine = async (): Promise<void> => {
  const m = new Map<string, number>([["a", 1]]);
  m.set("b", 2);
  expect(
    "Map",
    [...m.entries()],
    [
      ["a", 1],
      ["b", 2],
    ],
  );
  expect("JSON", JSON.parse(JSON.stringify({ x: [1, "é", null] })), { x: [1, "é", null] });
  expect("RegExp", /(?<k>\w+)=(?<v>\d+)/u.exec("port=22")?.groups, { k: "port", v: "22" });
  expect("BigInt", (2n ** 64n - 1n).toString(16), "ffffffffffffffff");
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, 0x01020304, true);
  expect("DataView", [...new Uint8Array(view.buffer)], [4, 3, 2, 1]);
  const order: string[] = [];
  await Promise.all(
    [1, 2].map(async (n) => {
      // awaiting a plain value is what is tested: it must still yield to the job queue
      // eslint-disable-next-line @typescript-eslint/await-thenable -- deliberately not a promise
      await null;
      order.push(`t${n}`);
    }),
  );
  expect("async", order, ["t1", "t2"]);
  expect("Date", new Date(Date.UTC(2024, 1, 29)).toISOString(), "2024-02-29T00:00:00.000Z");
  expect(
    "float",
    [0.1 + 0.2, Math.sqrt(2) * Math.sqrt(2)].map((x) => x.toFixed(10)),
    ["0.3000000000", "2.0000000000"],
  );
  class Counter {
    #n = 0;
    next(): number {
      return ++this.#n;
    }
  }
  const c = new Counter();
  expect("class", [c.next(), c.next()], [1, 2]);
};

const errors = (): void => {
  try {
    native.chmod("/nonexistent/limen-selftest", 0o644);
  } catch (e) {
    const err = e as native.NativeError;
    expect("error", [err.code, err.syscall, err.path], ["ENOENT", "chmod", "/nonexistent/limen-selftest"]);
    if (!err.message.startsWith("ENOENT: chmod /nonexistent/limen-selftest"))
      throw new Error(`error message: ${err.message}`, { cause: e });
    return;
  }
  throw new Error("chmod of a missing path did not throw");
};

const inotify = async (): Promise<void> => {
  const dir = scratchDir();
  const fd = native.inotifyInit();
  try {
    native.inotifyAddWatch(fd, dir, native.IN_CLOSE_WRITE);
    const arrived = readable(fd, 2000, "inotify event");
    std.writeFile(`${dir}/written`, "x");
    await arrived;
    const names = native
      .inotifyRead(fd)
      .filter((e) => e.mask & native.IN_CLOSE_WRITE)
      .map((e) => e.name);
    expect("inotify events", names, ["written"]);
  } finally {
    os.close(fd);
    os.remove(`${dir}/written`);
    os.remove(dir);
  }
};

const unixSocket = async (): Promise<void> => {
  const dir = scratchDir();
  const path = `${dir}/socket`;
  const server = native.unixListen(path);
  let client = -1;
  let peer: number | null = null;
  try {
    client = native.unixConnect(path);
    await readable(server, 2000, "connection");
    peer = native.accept(server);
    if (peer === null) throw new Error("accept: no connection waiting");
    writeAll(client, "ping ✓");
    await readable(peer, 2000, "request");
    const buf = new ArrayBuffer(64);
    const n = os.read(peer, buf, 0, 64);
    const request = decode(new Uint8Array(buf, 0, Math.max(n, 0)));
    writeAll(peer, request.replace("ping", "pong"));
    await readable(client, 2000, "reply");
    const m = os.read(client, buf, 0, 64);
    expect("reply", decode(new Uint8Array(buf, 0, Math.max(m, 0))), "pong ✓");
  } finally {
    for (const fd of [client, peer ?? -1, server]) if (fd >= 0) os.close(fd);
    os.remove(path);
    os.remove(dir);
  }
};

/** The child must lead a new session and start with no blocked or ignored signals inherited. */
const newSession = (): void => {
  os.signal(os.SIGUSR1, undefined); // ignored here; the child must not inherit that
  try {
    const { code, stdout } = runCapture(
      // grep reads its own status after exec (same pid, the mask it inherited): reading the shell's
      // while the shell waits for grep races with the shell blocking every signal in its wait
      ["/bin/sh", "-c", "echo $$; cat /proc/$$/stat; exec grep -E '^Sig(Blk|Ign)' /proc/self/status"],
      { newSession: true },
    );
    expect("child exit", code, 0);
    const [pid, stat, ...sig] = stdout.trim().split("\n");
    // stat: pid (comm) state ppid pgrp session ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    expect("session and group", [fields[2], fields[3]], [pid, pid]);
    const mask = Object.fromEntries(sig.map((l) => l.split(/:\s*/) as [string, string]));
    expect("blocked signals", BigInt(`0x${mask.SigBlk}`).toString(), "0");
    expect("SIGUSR1 ignored", ((BigInt(`0x${mask.SigIgn}`) >> BigInt(os.SIGUSR1 - 1)) & 1n).toString(), "0");
  } finally {
    os.signal(os.SIGUSR1, null);
  }
};

const execFailure = (): void => {
  try {
    runCapture(["/nonexistent/program"]);
  } catch (e) {
    expect(
      "exec error",
      [(e as native.NativeError).code, (e as native.NativeError).path],
      ["ENOENT", "/nonexistent/program"],
    );
    return;
  }
  throw new Error("spawning a missing program did not throw");
};

const checks: Check[] = [
  ["engine", engine],
  ["errors", errors],
  ["inotify", inotify],
  ["unix-socket", unixSocket],
  ["new-session", newSession],
  ["exec-failure", execFailure],
];

export async function main(args: string[]): Promise<number> {
  const only = new Set(args);
  let failed = 0;
  for (const [name, run] of checks) {
    if (only.size > 0 && !only.has(name)) continue;
    try {
      await run();
      console.log(`ok ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  console.log(failed === 0 ? "selftest passed" : `selftest: ${failed} check(s) failed`);
  return failed === 0 ? 0 : 1;
}
