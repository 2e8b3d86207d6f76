// A QEMU guest for tests: started with its serial console on a pipe, read as it boots,
// and always stopped by its PID.
import { spawn, type ChildProcess } from "node:child_process";

export class Guest {
  private output = "";
  private readonly child: ChildProcess;
  private exited: Promise<number | null>;

  constructor(command: string[]) {
    this.child = spawn(command[0]!, command.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.on("data", (b: Buffer) => (this.output += b.toString()));
    this.child.stderr!.on("data", (b: Buffer) => (this.output += b.toString()));
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  get console(): string {
    return this.output;
  }

  /** Resolves with the first match of `pattern` on the console, or fails with the console so far. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        const why = this.child.exitCode !== null ? `QEMU exited (${this.child.exitCode})` : `${timeoutMs} ms passed`;
        throw new Error(`${why} before ${pattern} appeared on the console:\n${this.output.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops QEMU by its PID and waits for it to go. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, "SIGKILL");
    await this.exited;
  }
}
