// `npm run bench`: size and start-up of the limen executable on every CPU, against a static C
// program that does nothing, built with the same toolchain and measured in the same run.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { cachedDir, hashOf, projectRoot } from "../../image/lib/cache.ts";
import { run } from "../../image/lib/run.ts";
import { build } from "../../runtime/build/main.ts";
import { layout } from "../../runtime/src/layout.ts";
import { targets, type Target } from "../../runtime/build/targets.ts";
import { compile, linkStatic, toolchain } from "../../runtime/build/toolchain.ts";
import { TestPki } from "../lib/pki.ts";
import { TangServer } from "../secrets/tang-server.ts";
import { count, scaled, smoke, table, usage } from "./common.ts";
import { settle } from "../lib/until.ts";
import { databaseVersion } from "../../runtime/src/svc/database.ts";
import { serviceEntry } from "../engine/service-entry.ts";

const runs = Number(process.env.BENCH_RUNS ?? scaled(21, 1));
/** HTTPS fetches of the outboard part, changes of the subscriber part. */
const rounds = scaled(10, 1);
const here = join(projectRoot, "test", "bench");

/** Size targets from the runtime issue, in bytes. */
const sizeLimit: Record<Target["cpu"], number | undefined> = {
  x86_64: undefined,
  aarch64: 900_000,
  armv7: 900_000,
  mipsel: 1_100_000,
  mips: 1_100_000,
};
const qemuStartRatioLimit = 5;
/** svc targets: `svc list` on a 30-service database against `limen --version`; an outputs watcher's memory. */
const svcListRatioLimit = 3;
const watcherRssLimitKiB = 1536;
const nativeStartLimitMs = 3;

async function hostTool(name: string): Promise<string> {
  const src = join(here, `${name}.c`);
  const dir = await cachedDir("bench", `${name}-${hashOf(await readFile(src))}`, async (out) => {
    await run(["gcc", "-O2", "-Wall", "-Werror", src, "-o", join(out, name)]);
  });
  return join(dir, name);
}

async function emptyProgram(t: Target): Promise<string> {
  const tc = await toolchain(t);
  const obj = await compile(tc, join(here, "empty.c"), [], []);
  const dir = await cachedDir(`bench/${t.cpu}`, `empty-${hashOf(tc.id, obj)}`, async (out) => {
    await linkStatic(tc, [obj], join(out, "empty"));
  });
  return join(dir, "empty");
}

interface Timing {
  medianMs: number;
  maxRssKiB: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function measure(timer: string, command: string[], env: NodeJS.ProcessEnv = process.env): Timing {
  const out = execFileSync(timer, [String(runs), ...command], { encoding: "utf8", env });
  const rows = out
    .trim()
    .split("\n")
    .map((l) => l.split(" ").map(Number));
  return { medianMs: median(rows.map((r) => r[0] / 1000)), maxRssKiB: Math.max(...rows.map((r) => r[1])) };
}

function which(program: string): string {
  return execFileSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).trim();
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const verdict = (ok: boolean) => (ok ? "ok" : "MISSED");

async function main(): Promise<void> {
  // smoke mode runs after npm test's own build: the one below is a rebuild already
  if (!smoke) await build(targets.map((t) => t.cpu));
  const rebuildStart = Date.now();
  const built = await build(targets.map((t) => t.cpu));
  const rebuildSeconds = (Date.now() - rebuildStart) / 1000;
  const timer = await hostTool("spawn-timer");

  console.log(
    `limen runtime benchmark${smoke ? " (smoke mode)" : ""}: ${runs} runs each, median start-up of \`limen --version\`\n`,
  );
  const header = [
    "cpu",
    "binary",
    "bytecode",
    "BearSSL",
    "start",
    "empty C",
    "ratio",
    "max RSS",
    "empty C",
    "ratio",
    "targets",
  ];
  const rows: string[][] = [];
  for (const t of targets) {
    const b = built.find((x) => x.cpu === t.cpu)!;
    const empty = await emptyProgram(t);
    const prefix = t.qemu ? [which(t.qemu)] : [];
    const limen = measure(timer, [...prefix, b.path, "--version"]);
    const base = measure(timer, [...prefix, empty]);
    const ratio = limen.medianMs / base.medianMs;
    const size = (await stat(b.path)).size;
    const checks: string[] = [];
    const limit = sizeLimit[t.cpu];
    if (limit) checks.push(`size<=${(limit / 1e6).toFixed(1)}MB ${verdict(size <= limit)}`);
    if (t.qemu) checks.push(`start<=${qemuStartRatioLimit}x ${verdict(ratio <= qemuStartRatioLimit)}`);
    else checks.push(`start<=${nativeStartLimitMs}ms ${verdict(limen.medianMs <= nativeStartLimitMs)}`);
    rows.push([
      t.qemu ? `${t.cpu} (qemu)` : `${t.cpu} (native)`,
      kib(size),
      kib(b.bytecode),
      kib(b.bearssl),
      `${limen.medianMs.toFixed(2)} ms`,
      `${base.medianMs.toFixed(2)} ms`,
      `${ratio.toFixed(2)}x`,
      `${limen.maxRssKiB} KiB`,
      `${base.maxRssKiB} KiB`,
      `${(limen.maxRssKiB / base.maxRssKiB).toFixed(2)}x`,
      checks.join(", "),
    ]);
  }
  table(header, rows);
  console.log(`\nrebuild with nothing changed: ${rebuildSeconds.toFixed(1)} s`);
  await svcBench(built, timer);
  await outboardBench(built.find((b) => b.cpu === "x86_64")!.path);
  await secretsBench(built.find((b) => b.cpu === "x86_64")!.path);
}

/** A 30-service database (longruns, oneshots, a bundle, a controlled service) under a temporary LIMEN_ROOT. */
async function svcRoot(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), "limen-bench-svc-"));
  const services: Record<string, unknown> = {};
  for (let i = 0; i < 30; i++) {
    const type = i === 29 ? "bundle" : i % 3 === 0 ? "longrun" : "oneshot";
    const dependencies = i === 29 ? ["s0", "s10", "s20"] : i > 0 ? [`s${i - 1}`] : [];
    services[`s${i}`] = serviceEntry({
      type,
      dependencies,
      controlled: i === 15,
      timeoutUp: 20000,
      timeoutDown: 20000,
    });
  }
  const { database } = layout(root);
  await mkdir(join(database, ".."), { recursive: true });
  await writeFile(database, JSON.stringify({ version: databaseVersion, services }));
  return root;
}

/** Maximum resident set of a running `svc outputs --watch`, once it has printed its first state. */
async function watcherRssKiB(binary: string, env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(binary, ["svc", "outputs", "--watch", "s0"], { env, stdio: ["ignore", "pipe", "inherit"] });
  try {
    await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    return usage(child.pid!, "svc outputs --watch").maxRssKiB;
  } finally {
    child.kill();
  }
}

async function svcBench(built: Awaited<ReturnType<typeof build>>, timer: string): Promise<void> {
  const root = await svcRoot();
  const env = { ...process.env, LIMEN_ROOT: root };
  try {
    console.log(`\nsvc: median of \`limen svc list\` on a 30-service database against \`limen --version\`\n`);
    const rows: string[][] = [];
    for (const t of targets) {
      const b = built.find((x) => x.cpu === t.cpu)!;
      const prefix = t.qemu ? [which(t.qemu)] : [];
      const version = measure(timer, [...prefix, b.path, "--version"], env);
      const list = measure(timer, [...prefix, b.path, "svc", "list", "--all"], env);
      const ratio = list.medianMs / version.medianMs;
      const checks = [`list<=${svcListRatioLimit}x ${verdict(ratio <= svcListRatioLimit)}`];
      let rss = "";
      if (!t.qemu) {
        const kiB = await watcherRssKiB(b.path, env);
        rss = `${kiB} KiB`;
        checks.push(`watcher<=${watcherRssLimitKiB} KiB ${verdict(kiB <= watcherRssLimitKiB)}`);
      }
      rows.push([
        t.qemu ? `${t.cpu} (qemu)` : `${t.cpu} (native)`,
        `${list.medianMs.toFixed(2)} ms`,
        `${version.medianMs.toFixed(2)} ms`,
        `${ratio.toFixed(2)}x`,
        `${list.maxRssKiB} KiB`,
        rss,
        checks.join(", "),
      ]);
    }
    table(["cpu", "svc list", "--version", "ratio", "max RSS", "watcher RSS", "targets"], rows);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Peak resident set of `limen outboard` after ten HTTPS fetches (TLS handshake with an RSA-2048
 * server, JSON, publication; one in smoke mode) from a Node server on 127.0.0.1, and the CPU
 * time they took.
 */
async function outboardBench(binary: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "limen-bench-outboard-"));
  const server = createServer();
  try {
    // the server's own certificate is the client's trust anchor
    const pem = new TestPki(dir).selfSigned("server", {
      cn: "localhost",
      extensions: ["subjectAltName=DNS:localhost"],
    });
    server.setSecureContext({ key: readFileSync(pem.key), cert: readFileSync(pem.cert) });
    let fetches = 0;
    server.on("request", (_req, res) => {
      fetches++;
      res.end(
        JSON.stringify({
          ssh: { authorizedKeys: { root: ["ssh-ed25519 AAAA root"] } },
          wifi: { psk: String(fetches) },
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `https://localhost:${(server.address() as AddressInfo).port}/secrets.json`;
    const config = {
      service: "secrets",
      url,
      intervalMs: 100,
      retryMs: 100,
      timeoutMs: 5000,
      maxBytes: 65536,
      username: null,
      password: null,
      caFile: pem.cert,
      certFile: null,
      keyFile: null,
      readyFd: null,
    };
    await writeFile(join(dir, "outboard.json"), JSON.stringify(config));
    const child = spawn(binary, ["outboard", join(dir, "outboard.json")], {
      env: { ...process.env, LIMEN_ROOT: dir },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      for (let published = 0; published < rounds; published++) await lines.next();
      const u = usage(child.pid!, "limen outboard");
      console.log(
        `\nsecrets.outboard (native): peak RSS ${u.maxRssKiB} KiB after ${count(rounds, "HTTPS fetch", "HTTPS fetches")}, CPU ${u.cpuMs.toFixed(0)} ms in all; rss<=${watcherRssLimitKiB} KiB ${verdict(u.maxRssKiB <= watcherRssLimitKiB)}`,
      );
    } finally {
      child.kill();
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `limen secrets tang`: time to the first publication (start, one P-521 recovery with Debian's
 * tangd on 127.0.0.1, publication) and peak RSS after decrypting every 0.1 s for 3 s;
 * `limen secrets subscribe`: peak RSS after ten changes of the outputs it follows, and its CPU
 * time while nothing changes for 5 s (inotify: none expected). Smoke mode shortens all three.
 */
async function secretsBench(binary: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "limen-bench-secrets-"));
  const tang = new TangServer();
  const env = { ...process.env, LIMEN_ROOT: dir };
  const decryptMs = scaled(3000, 300);
  const idleMs = scaled(5000, 500);
  try {
    await tang.start();
    await writeFile(
      join(dir, "s.jwe"),
      tang.encrypt(JSON.stringify({ ssh: { authorized_keys: ["ssh-ed25519 AAAA root"] }, wifi: { psk: "x" } })),
    );
    const started = performance.now();
    const child = spawn(binary, ["secrets", "tang", "--interval-ms", "100", "vault", join(dir, "s.jwe")], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
      const firstMs = performance.now() - started;
      await settle(decryptMs);
      const u = usage(child.pid!, "limen secrets tang");
      console.log(
        `\nsecrets.tang (native): first secrets in ${firstMs.toFixed(0)} ms; peak RSS ${u.maxRssKiB} KiB after ${decryptMs / 1000} s of decrypting every 0.1 s, CPU ${u.cpuMs.toFixed(0)} ms; rss<=${watcherRssLimitKiB} KiB ${verdict(u.maxRssKiB <= watcherRssLimitKiB)}`,
      );
    } finally {
      child.kill();
    }
    const entry = { timeoutUp: 1000, timeoutDown: 1000 };
    const { database } = layout(dir);
    await mkdir(join(database, ".."), { recursive: true });
    await writeFile(
      database,
      JSON.stringify({
        version: databaseVersion,
        services: {
          vault: serviceEntry({ ...entry, type: "oneshot" }),
          app: serviceEntry({ ...entry, type: "longrun", outputRefs: [{ service: "vault", path: "k" }] }),
        },
      }),
    );
    const set = (v: string) => execFileSync(binary, ["output", "--set", "vault", "k", v], { env });
    set("0");
    const sub = spawn(binary, ["secrets", "subscribe", "vault", "app"], { env, stdio: ["ignore", "pipe", "inherit"] });
    try {
      const lines = createInterface({ input: sub.stdout })[Symbol.asyncIterator]();
      await settle(300);
      for (let i = 1; i <= rounds; i++) {
        set(String(i));
        await lines.next();
      }
      const before = usage(sub.pid!, "limen secrets subscribe");
      await settle(idleMs);
      const after = usage(sub.pid!, "limen secrets subscribe");
      console.log(
        `secrets.subscriber (native): peak RSS ${after.maxRssKiB} KiB after ${count(rounds, "change")}; CPU ${(after.cpuMs - before.cpuMs).toFixed(0)} ms in ${idleMs / 1000} s idle; rss<=${watcherRssLimitKiB} KiB ${verdict(after.maxRssKiB <= watcherRssLimitKiB)}, idle CPU 0 ${verdict(after.cpuMs === before.cpuMs)}`,
      );
    } finally {
      sub.kill();
    }
  } finally {
    await tang.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
