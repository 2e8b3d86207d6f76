// Configuration errors: every one names the option path and the file (with line) where the
// offending value was set, so a user can go straight to it.
import { relative, resolve } from "node:path";
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

/** The frames of a stack trace as absolute file and line, innermost first. */
function frames(stack: string): { file: string; line: string }[] {
  return stack.split("\n").flatMap((l) => {
    const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?$/.exec(l.trim());
    return m ? [{ file: m[1].startsWith("file://") ? fileURLToPath(m[1]) : m[1], line: m[2] }] : [];
  });
}

/**
 * Where the caller of a config-building function is: the first stack frame outside image/config,
 * as `path:line` relative to the working directory.
 */
export function callerLocation(): string {
  const caller = frames(new Error().stack ?? "").find(
    ({ file }) => !file.startsWith(here) && !file.includes("/node_modules/"),
  );
  return caller ? `${relative(process.cwd(), caller.file)}:${caller.line}` : "(unknown file)";
}

/**
 * An error a configuration's own code threw, as a ConfigError naming `file` (`path` or `path:line`)
 * at the line of the innermost frame in it, where the stack has one; a ConfigError is already one.
 */
export function thrownBy(e: unknown, file: string, path: string, when: string): ConfigError {
  if (e instanceof ConfigError) return e;
  const absolute = resolve(file.replace(/:\d+$/, ""));
  const frame = frames(e instanceof Error ? (e.stack ?? "") : "").find((f) => f.file === absolute);
  const where = frame ? `${relative(process.cwd(), absolute)}:${frame.line}` : file;
  const what = e instanceof Error ? `${e.name}: ${e.message.split("\n")[0]}` : String(e);
  return new ConfigError(path, where, `threw ${when}: ${what}`);
}
