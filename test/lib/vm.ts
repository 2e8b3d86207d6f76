// A router image under QEMU for tests: started with run.sh --background, spoken to through its
// serial console socket, and always stopped by the PID QEMU wrote.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsoleLog } from "./console.ts";

export class Vm {
  private readonly output = new ConsoleLog();
  private socket: Socket | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), "limen-vm-"));

  constructor(
    private readonly result: string,
    private readonly args: string[] = [],
  ) {}

  /** Starts QEMU in the background: console socket at `dir`/console, its PID in `dir`/qemu.pid. */
  protected launch(dir: string): void {
    execFileSync(join(this.result, "run.sh"), ["--background", dir, ...this.args], { stdio: "pipe" });
  }

  async start(): Promise<void> {
    this.launch(this.dir);
    const path = join(this.dir, "console");
    for (let i = 0; !existsSync(path); i++) {
      if (i > 100) throw new Error(`QEMU made no console socket at ${path}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    this.socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path, () => resolve(s));
      s.on("error", reject);
    });
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
    this.socket!.write(text);
  }

  /** Runs a shell command at a logged-in prompt and returns what it printed. */
  async run(command: string, timeoutMs = 60_000): Promise<string> {
    const marker = `__done_${Date.now()}__`;
    const from = this.output.length;
    this.send(`${command}; echo ${marker}$?\n`);
    const m = await this.waitFor(new RegExp(`\\n${marker}(\\d+)\\r?\\n`), timeoutMs, from);
    const text = this.output.toString().slice(from);
    const body = text.slice(text.indexOf("\n") + 1, text.indexOf(`\n${marker}`) + 1);
    return Object.assign(body.replace(/\r/g, ""), { code: Number(m[1]) });
  }

  /** Logs in at the console's login prompt. */
  async login(hostname: string, user: string, password: string): Promise<void> {
    await this.waitFor(new RegExp(`${hostname} login: $`, "m"), 300_000);
    this.send(`${user}\n`);
    await this.waitFor(/Password: $/m, 30_000);
    const from = this.output.length;
    this.send(`${password}\n`);
    await this.waitFor(/# /, 30_000, from);
  }

  /** Polls `svc list` at the prompt until every one of `services` is up; returns the last list. */
  async servicesUp(services: string[], timeoutMs = 120_000): Promise<string[]> {
    let up: string[] = [];
    for (
      const deadline = Date.now() + timeoutMs;
      Date.now() < deadline;
      await new Promise((r) => setTimeout(r, 2000))
    ) {
      up = (await this.run("svc list"))
        .trim()
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      if (services.every((s) => up.includes(s))) break;
    }
    return up;
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    const pidFile = join(this.dir, "qemu.pid");
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
