// Configuration errors: every one names the option path and the file (with line) where the
// offending value was set, so a user can go straight to it.
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { z } from "zod";

export type PathSegment = string | number;

/** `services.sshd.port`, `filesystem["/etc/motd"].mode`, `dependencies[0]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out === "" ? "(top level)" : out;
}

export class ConfigError extends Error {
  constructor(
    readonly path: string,
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${path}: ${problem}`);
    this.name = "ConfigError";
  }
}

/** The first zod issue as a ConfigError; unrecognized keys are reported at the key itself. */
export function zodError(
  error: z.ZodError,
  base: readonly PathSegment[],
  fileOf: (path: readonly PathSegment[]) => string,
): ConfigError {
  const issue = error.issues[0];
  let path: PathSegment[] = [...base, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
  let problem = issue.message;
  if (issue.code === "unrecognized_keys") {
    path = [...path, issue.keys[0]];
    problem = "unknown option";
  }
  // a record's key (a hosts address, a sysctl key): what is wrong with it, not "Invalid key in record"
  if (issue.code === "invalid_key") problem = issue.issues[0]?.message ?? problem;
  return new ConfigError(formatPath(path), fileOf(path), problem);
}

const here = fileURLToPath(new URL(".", import.meta.url));

/**
 * Where the caller of a config-building function is: the first stack frame outside image/config,
 * as `path:line` relative to the working directory.
 */
export function callerLocation(): string {
  const stack = new Error().stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!m) continue;
    const file = m[1].startsWith("file://") ? fileURLToPath(m[1]) : m[1];
    if (file.startsWith(here) || file.includes("/node_modules/")) continue;
    return `${relative(process.cwd(), file)}:${m[2]}`;
  }
  return "(unknown file)";
}
