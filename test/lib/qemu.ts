// A QEMU guest for tests: started with its serial console on a pipe, read as it boots,
// and always stopped by its PID.
import { spawn, type ChildProcess } from "node:child_process";
import { ConsoleLog } from "./console.ts";

export class Guest {
  private readonly output = new ConsoleLog();
  private readonly child: ChildProcess;
  private exited: Promise<number | null>;

  constructor(command: string[]) {
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

  /** Stops QEMU by its PID and waits for it to go. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, "SIGKILL");
    await this.exited;
  }
}
