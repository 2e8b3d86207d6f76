// A test bed for svc: a temporary root (LIMEN_ROOT) holding a service database and its scripts,
// the real x86_64 limen linked as `svc`, `output` and `logread`, and a real s6-svscan on the scan directory
// that `svc init` built, its output going to the catch-all logger as on the device.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { layout } from "../../runtime/src/layout.ts";
import { checkDatabase, databaseVersion, type ServiceEntry } from "../../runtime/src/svc/database.ts";
import { ensureCommands } from "../../image/lib/host-programs.ts";
import { binaryPath } from "../lib/runtime.ts";
import { serviceEntry } from "../engine/service-entry.ts";
import { settle, until } from "../lib/until.ts";

export interface Fixture extends Partial<ServiceEntry> {
  type: ServiceEntry["type"];
  /** longrun: body of the run script; oneshot: body of up (and down) */
  run?: string;
  up?: string;
  down?: string;
  /** longrun: body of the image's own log/run (else svc init writes one) */
  log?: string;
  /** longrun: body of its finish script (none when not given) */
  finish?: string;
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Bed {
  readonly root = mkdtempSync(join(tmpdir(), "limen-svc-"));
  /** The device's files under the root. */
  readonly layout = layout(this.root);
  readonly env: NodeJS.ProcessEnv;
  private scanner: ChildProcess | null = null;

  constructor(services: Record<string, Fixture>) {
    const bin = join(this.root, "bin");
    mkdirSync(bin);
    for (const name of ["limen", "svc", "output", "logread"]) symlinkSync(binaryPath("x86_64"), join(bin, name));
    this.env = { ...process.env, LIMEN_ROOT: this.root, PATH: `${bin}:${process.env.PATH}`, TZ: "UTC" };
    const entries: Record<string, ServiceEntry> = {};
    for (const [name, f] of Object.entries(services)) {
      const { run, up, down, log, finish, ...rest } = f;
      entries[name] = serviceEntry({ timeoutUp: 10_000, timeoutDown: 10_000, ...rest });
      const script = (path: string, body: string): void => {
        mkdirSync(join(path, ".."), { recursive: true });
        writeFileSync(path, `#!/bin/sh\ncd "$LIMEN_ROOT"\n${body}\n`);
        chmodSync(path, 0o755);
      };
      if (f.type === "longrun") {
        const dir = this.layout.longrun(name);
        script(join(dir, "run"), run ?? "exec sleep 1000");
        if (log !== undefined) script(join(dir, "log", "run"), log);
        if (finish !== undefined) script(join(dir, "finish"), finish);
        if (rest.notificationFd != null) writeFileSync(join(dir, "notification-fd"), `${rest.notificationFd}\n`);
      }
      if (f.type === "oneshot") {
        script(join(this.layout.oneshot(name), "up"), up ?? "true");
        if (down !== undefined) script(join(this.layout.oneshot(name), "down"), down);
      }
    }
    const db = { version: databaseVersion, services: entries };
    checkDatabase(db, "fixture");
    writeFileSync(this.layout.database, JSON.stringify(db, null, 2));
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  svc(...args: string[]): Result {
    const r = spawnSync("svc", args, { env: this.env, encoding: "utf8", timeout: 30_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs svc without waiting, for concurrent calls. */
  svcAsync(...args: string[]): Promise<Result> {
    return new Promise((resolve) => {
      const child = spawn("svc", args, { env: this.env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** `svc init`, then s6-svscan with its output into the catch-all logger's FIFO. */
  async start(): Promise<void> {
    ensureCommands(["s6-svscan"]);
    const init = this.svc("init");
    if (init.code !== 0) throw new Error(`svc init failed: ${init.stderr}`);
    const fifo = openSync(this.layout.logFifo, "r+");
    this.scanner = spawn("s6-svscan", [this.layout.scan], {
      env: this.env,
      stdio: ["ignore", fifo, fifo],
      detached: true,
    });
    closeSync(fifo);
    const dirs = readdirSync(this.layout.scan).filter((d) => !d.startsWith("."));
    await until(
      "s6-supervise for every service",
      () => dirs.every((d) => existsSync(join(this.layout.scan, d, "supervise/status"))),
      5_000,
    );
  }

  /** Lines services appended to $LIMEN_ROOT/events. */
  events(): string[] {
    const path = this.path("events");
    return existsSync(path) ? readFileSync(path, "utf8").trim().split("\n") : [];
  }

  async stop(): Promise<void> {
    const scan = this.layout.scan;
    if (this.scanner && existsSync(scan)) {
      const dirs = readdirSync(scan)
        .filter((d) => !d.startsWith("."))
        .flatMap((d) => [join(scan, d), join(scan, d, "log")])
        .filter((d) => existsSync(join(d, "supervise")));
      for (const d of dirs) spawnSync("s6-svc", ["-wD", "-T", "3000", "-d", d]);
      spawnSync("s6-svscanctl", ["-t", scan]);
      const scanner = this.scanner;
      const exited = new Promise<void>((r) => (scanner.exitCode !== null ? r() : scanner.on("exit", () => r())));
      await Promise.race([exited, settle(3000)]);
      if (scanner.exitCode === null && scanner.pid) process.kill(-scanner.pid, "SIGKILL");
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
