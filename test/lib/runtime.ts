// Locating and running the built limen executables from tests.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../image/lib/cache.ts";
import { targets, type Target } from "../../runtime/build/targets.ts";

export { targets, type Target };

export function binaryPath(cpu: Target["cpu"]): string {
  const path = join(projectRoot, "dist", `limen-${cpu}`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm test does)`);
  return path;
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a built binary, under its qemu-user emulator when it is not for this machine. */
export function runBinary(t: Target, args: string[], options: { argv0?: string; path?: string } = {}): Result {
  const path = options.path ?? binaryPath(t.cpu);
  const command = t.qemu ? [t.qemu, ...(options.argv0 ? ["-0", options.argv0] : []), path, ...args] : [path, ...args];
  const r = spawnSync(command[0], command.slice(1), {
    encoding: "utf8",
    timeout: 60_000,
    argv0: t.qemu ? undefined : options.argv0,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
