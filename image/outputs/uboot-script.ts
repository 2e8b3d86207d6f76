// U-Boot script files (boot.scr, flash.scr): command lines checked against what U-Boot's command
// parser takes, written as a legacy script image (mkimage -T script, for `source`) with the plain
// text beside it (`<name>.txt`) for reading and for pasting line by line at the U-Boot prompt.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureCommands } from "../lib/host-programs.ts";
import type { Cpu } from "../config/module.ts";
import type { UImageArch } from "../kernel/uimage.ts";
import { run } from "../lib/run.ts";

/** mkimage's -A name of each CPU (both MIPS byte orders are "mips"). */
export const ubootArch: Record<Cpu, UImageArch> = { aarch64: "arm64", armv7: "arm", mipsel: "mips", mips: "mips" };

/**
 * The longest line: CONFIG_SYS_CBSIZE's default, the console buffer of most U-Boot builds and
 * of the old vendor ones on small routers. A longer line is cut off when pasted.
 */
export const maxLineLength = 256;

export class UbootScriptError extends Error {}

/** Why U-Boot cannot take `line` as one command line, or null when it can. */
export function lineProblem(line: string): string | null {
  if (line.trim() === "") return "is empty (an empty line at the U-Boot prompt repeats the previous command)";
  if (line.length > maxLineLength)
    return `is ${line.length} characters long; U-Boot's console buffer takes ${maxLineLength}`;
  const bad = /[^\t\x20-\x7e]/.exec(line);
  if (bad)
    return `holds the character ${JSON.stringify(bad[0])} at column ${bad.index + 1} (only printable ASCII and tab reach U-Boot intact)`;
  if (line.trimStart().startsWith("#"))
    return "is a comment, which U-Boot's simple (non-hush) parser runs as a command";
  // quotes, comments and ${...} as U-Boot's hush reads them (checked against it under QEMU): a
  // backslash escapes outside single quotes, and a ' inside double quotes opens a nested
  // single-quoted part, unlike in a POSIX shell
  let quote: "'" | '"' | null = null;
  let braces = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === "\\") {
      if (i === line.length - 1) return "ends with a backslash, which would join it to the next line";
      i++;
    } else if (c === "$" && line[i + 1] === "{") {
      braces++;
      i++;
    } else if (c === "}" && braces > 0) {
      braces--;
    } else if (c === '"') {
      quote = quote === '"' ? null : '"';
    } else if (c === "'") {
      if (quote === '"')
        return `has a ' inside double quotes at column ${i + 1}, which U-Boot's hush takes as the start of a single-quoted part`;
      quote = "'";
    } else if (c === "#" && quote === null && /\s/.test(line[i - 1] ?? " ")) {
      return `has a # starting a word at column ${i + 1}: hush ignores the rest of the line as a comment (quote it)`;
    }
  }
  if (quote) return `has an unterminated ${quote === "'" ? "single" : "double"} quote`;
  if (braces > 0) return "has an unterminated ${";
  return null;
}

/** The script's text: one command a line. Throws naming every line U-Boot's parser cannot take. */
export function scriptText(name: string, lines: string[]): string {
  if (lines.length === 0) throw new UbootScriptError(`U-Boot script ${name}: no commands`);
  const problems = lines.flatMap((l, i) => {
    if (/[\r\n]/.test(l))
      return [`line ${i + 1} (${JSON.stringify(l)}) holds a line break: give each command as its own line`];
    const p = lineProblem(l);
    return p ? [`line ${i + 1} (${JSON.stringify(l)}) ${p}`] : [];
  });
  if (problems.length > 0)
    throw new UbootScriptError(`U-Boot script ${name}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  return lines.join("\n") + "\n";
}

export interface UbootScriptFiles {
  /** `<name>.scr`: the legacy script image for U-Boot's `source`. */
  script: string;
  /** `<name>.txt`: the same commands as plain text. */
  text: string;
}

/** Writes `<name>.scr` and `<name>.txt` into `dir`. */
export async function writeUbootScript(
  dir: string,
  name: string,
  cpu: Cpu,
  lines: string[],
): Promise<UbootScriptFiles> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new UbootScriptError(`U-Boot script name "${name}" must be lower-case letters, digits and -`);
  const text = scriptText(name, lines);
  ensureCommands(["mkimage"]);
  const files = { script: join(dir, `${name}.scr`), text: join(dir, `${name}.txt`) };
  await writeFile(files.text, text);
  // SOURCE_DATE_EPOCH fixes the header's time stamp: the same commands make the same file
  await run(
    [
      "mkimage",
      "-A",
      ubootArch[cpu],
      "-O",
      "linux",
      "-T",
      "script",
      "-C",
      "none",
      "-n",
      name,
      "-d",
      files.text,
      files.script,
    ],
    {
      env: { ...process.env, SOURCE_DATE_EPOCH: "0" },
    },
  );
  return files;
}
