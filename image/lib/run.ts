// Child processes for host build steps: every failure names the command and shows its output.
import { spawn } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
}

export class CommandError extends Error {
  constructor(
    readonly command: string[],
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`command failed (exit ${code}): ${command.join(" ")}\n${output.trim()}`);
  }
}

export function run(command: string[], options: RunOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const [file, ...args] = command;
  if (!file) throw new Error("run: empty command");
  return new Promise((resolve, reject) => {
    const input = options.input;
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`cannot run ${file}: ${e.message}`)));
    child.on("close", (code) => {
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandError(command, code, stderr + stdout));
    });
    if (input !== undefined) {
      child.stdin!.on("error", () => {}); // a child that exits without reading its input is judged by its exit status
      child.stdin!.end(input);
    }
  });
}

/** A gate that lets at most `limit` tasks run at once, across all callers. */
export function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
