// An emulated device's life under QEMU, for the tests and for host commands such as the lab: start
// it, read and write its serial console, speak to its monitor, and always stop it by its PID.
// `Vm` runs QEMU in the background (run.sh --background, or a subclass's own command) with the
// console and monitor on unix sockets; `Guest` runs it as a child with the console on its stdio.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureCommands } from "../lib/host-programs.ts";
import type { DebianKernel } from "./kernel.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a guest printed on its console, and waiting for something to appear there. */
export class ConsoleLog {
  private text = "";

  append(chunk: Buffer | string): void {
    this.text += chunk.toString();
  }

  get length(): number {
    return this.text.length;
  }

  toString(): string {
    return this.text;
  }

  /**
   * Resolves with the first match of `pattern` after offset `from`; fails when `timeoutMs`
   * passes or `gone()` says the guest has ended, showing the end of the console.
   */
  async waitFor(
    pattern: RegExp,
    timeoutMs: number,
    from = 0,
    gone: () => string | undefined = () => undefined,
  ): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.text.slice(from).match(pattern);
      if (m) return m;
      const why = gone() ?? (Date.now() > deadline ? `${timeoutMs} ms passed` : undefined);
      if (why) throw new Error(`${why} before ${pattern} appeared on the console:\n${this.text.slice(-4000)}`);
      await sleep(100);
    }
  }
}

/**
 * QEMU's arguments that run it in the background as `Vm` expects: its PID in `dir`/qemu.pid, the
 * serial console on `dir`/console and the monitor on `dir`/monitor (run.sh --background writes the same).
 */
export function backgroundArgs(dir: string): string[] {
  return [
    "-display",
    "none",
    "-daemonize",
    "-pidfile",
    join(dir, "qemu.pid"),
    "-chardev",
    `socket,id=console,path=${join(dir, "console")},server=on,wait=off`,
    "-serial",
    "chardev:console",
    "-monitor",
    `unix:${join(dir, "monitor")},server=on,wait=off`,
  ];
}

async function connected(path: string): Promise<Socket> {
  for (let i = 0; !existsSync(path); i++) {
    if (i > 100) throw new Error(`QEMU made no socket at ${path}`);
    await sleep(100);
  }
  return new Promise<Socket>((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.on("error", reject);
  });
}

/** A device image under QEMU in the background (its result folder's run.sh by default). */
export class Vm {
  private readonly output = new ConsoleLog();
  private socket: Socket | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), "limen-vm-"));

  /** `consoleSocket`: the console to drive, when not the serial one (the lab's shell). */
  constructor(
    private readonly result: string,
    private readonly args: string[] = [],
    private readonly consoleSocket?: string,
  ) {}

  /** The unix socket of the console `run` and `send` use. */
  get consolePath(): string {
    return this.consoleSocket ?? join(this.dir, "console");
  }

  /** Starts QEMU in the background with backgroundArgs(dir). */
  protected launch(dir: string): void {
    execFileSync(join(this.result, "run.sh"), ["--background", dir, ...this.args], { stdio: "pipe" });
  }

  async start(): Promise<void> {
    this.launch(this.dir);
    this.socket = await connected(this.consolePath);
    this.socket.on("data", (b: Buffer) => this.output.append(b));
  }

  get console(): string {
    return this.output.toString();
  }

  /** Waits for `pattern` in what the console printed after `from` (an offset into console). */
  waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    return this.output.waitFor(pattern, timeoutMs, from);
  }

  send(text: string): void {
    if (!this.socket) throw new Error("the VM is not started");
    this.socket.write(text);
  }

  /** Runs a shell command at a logged-in prompt and returns what it printed, with its exit code. */
  async run(command: string, timeoutMs = 60_000): Promise<string & { code: number }> {
    const marker = `__done_${Date.now()}__`;
    const from = this.output.length;
    this.send(`${command}; echo ${marker}$?\n`);
    const m = await this.waitFor(new RegExp(`\\n${marker}(\\d+)\\r?\\n`), timeoutMs, from);
    const text = this.output.toString().slice(from);
    // The output starts after the terminal's echo of the command line, which ends with the
    // literal `$?`; the line editor may echo it twice, and a late prompt may come before it. A long
    // line wraps on the console, maybe inside the marker: then its first `$?` ends it.
    const whole = text.lastIndexOf(`${marker}$?`);
    const echo = whole >= 0 ? whole : text.indexOf("$?");
    const start = text.indexOf("\n", echo < 0 ? 0 : echo) + 1;
    const body = text.slice(start, text.search(new RegExp(`\\n${marker}\\d`)) + 1);
    return Object.assign(body.replace(/\r/g, ""), { code: Number(m[1]) });
  }

  /** Logs in at the console's login prompt. */
  async login(hostname: string, user: string, password: string): Promise<void> {
    // not anchored at the end: a kernel message may follow the prompt
    await this.waitFor(new RegExp(`${hostname} login: `), 300_000);
    this.send(`${user}\n`);
    await this.waitFor(/Password: /, 30_000);
    const from = this.output.length;
    this.send(`${password}\n`);
    await this.waitFor(/# /, 30_000, from);
  }

  /** Polls `svc list` at the prompt until every one of `services` is up; returns the last list. */
  async servicesUp(services: string[], timeoutMs = 120_000): Promise<string[]> {
    let up: string[] = [];
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(2000)) {
      up = (await this.run("svc list"))
        .trim()
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      if (services.every((s) => up.includes(s))) break;
    }
    return up;
  }

  /** Runs one command at QEMU's monitor (HMP, e.g. `info status`) and returns its answer. */
  async monitor(command: string, timeoutMs = 10_000): Promise<string> {
    const socket = await connected(join(this.dir, "monitor"));
    const answer = new ConsoleLog();
    socket.on("data", (b: Buffer) => answer.append(b));
    try {
      await answer.waitFor(/\(qemu\) $/, timeoutMs);
      const from = answer.length;
      socket.write(`${command}\n`);
      await answer.waitFor(/\(qemu\) $/, timeoutMs, from);
      const text = answer.toString().slice(from).replace(/\r/g, "");
      // the monitor echoes the command line (with terminal escapes) before its answer
      return text.slice(text.indexOf("\n") + 1, text.lastIndexOf("(qemu) "));
    } finally {
      socket.destroy();
    }
  }

  /** QEMU's PID, once started. */
  get pid(): number | undefined {
    const pidFile = join(this.dir, "qemu.pid");
    return existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : undefined;
  }

  /** Lets go of the console, leaving the guest running (the lab's --keep). */
  detach(): void {
    this.socket?.destroy();
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    const pidFile = join(this.dir, "qemu.pid");
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      try {
        process.kill(pid, "SIGKILL");
        // gone once init has reaped it (QEMU daemonized, so it is not our child)
        for (let i = 0; i < 50; i++) {
          process.kill(pid, 0);
          await sleep(100);
        }
      } catch {
        // gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** QEMU as a child process with the serial console on its stdio. */
export class Guest {
  private readonly output = new ConsoleLog();
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(command: string[]) {
    ensureCommands([command[0]]);
    this.child = spawn(command[0], command.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.on("data", (b: Buffer) => this.output.append(b));
    this.child.stderr!.on("data", (b: Buffer) => this.output.append(b));
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  get console(): string {
    return this.output.toString();
  }

  /** Resolves with the first match of `pattern` on the console; fails if QEMU ends or time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return this.output.waitFor(pattern, timeoutMs, 0, () =>
      this.child.exitCode !== null ? `QEMU exited (${this.child.exitCode})` : undefined,
    );
  }

  /** QEMU's exit code once it ends by itself (a guest's poweroff with -no-reboot), or "running" after `timeoutMs`. */
  exit(timeoutMs: number): Promise<number | null | "running"> {
    return Promise.race([this.exited, sleep(timeoutMs).then(() => "running" as const)]);
  }

  /** Stops QEMU by its PID and waits for it to go. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid)
      process.kill(this.child.pid, "SIGKILL");
    await this.exited;
  }
}

/** What guestCommand takes of an emulated device's facts (its Emulator). */
export interface GuestMachine {
  /** QEMU system emulator program, board and CPU arguments, RAM, and any extra arguments. */
  system: string;
  machine: string[];
  memoryMiB: number;
  extra: string[];
  /** Serial console device name inside the guest. */
  console: string;
}

/**
 * The QEMU command that boots `kernel` with `initrd` on an emulated device, its console on stdio
 * (or where `console` says: backgroundArgs for a guest a Vm runs).
 */
export function guestCommand(
  e: GuestMachine,
  kernel: DebianKernel,
  initrd: string,
  net: string[] = ["-nic", "none"],
  console: string[] = ["-nographic"],
): string[] {
  return [
    e.system,
    ...e.machine,
    "-m",
    String(e.memoryMiB),
    ...e.extra,
    ...console,
    "-no-reboot",
    ...net,
    "-kernel",
    kernel.image,
    "-initrd",
    initrd,
    "-append",
    `console=${e.console} panic=-1 quiet`,
  ];
}
