// Running the kernel's make for a device CPU, and the cross compiler check before it.
import { spawn } from "node:child_process";
import { run } from "../lib/run.ts";
import type { KernelArch } from "./arch.ts";
import type { KernelSource } from "./source.ts";

/** make in the source tree building into objDir; `verbose` keeps kbuild's "CC file" lines, counted for progress. */
export function makeCommand(
  src: KernelSource,
  a: KernelArch,
  objDir: string,
  targets: string[],
  o: { jobs?: number; verbose?: boolean } = {},
): string[] {
  return [
    "make",
    ...(o.verbose ? [] : ["-s"]),
    "-C",
    src.dir,
    `O=${objDir}`,
    `ARCH=${a.arch}`,
    `CROSS_COMPILE=${a.crossCompile}`,
    `-j${o.jobs ?? 1}`,
    ...targets,
  ];
}

/**
 * Identifies the cross compiler (its target and version line), for the cache keys; fails naming the
 * Debian package to install when it cannot be run. Kconfig itself runs the compiler, so this comes first.
 */
export async function compilerId(a: KernelArch): Promise<string> {
  const gcc = `${a.crossCompile}gcc`;
  try {
    const version = (await run([gcc, "--version"])).stdout.split("\n")[0];
    const machine = (await run([gcc, "-dumpmachine"])).stdout.trim();
    return `${machine} ${version}`;
  } catch (e) {
    throw new Error(
      `the ${a.arch} kernel needs the cross compiler ${gcc}, which cannot be run (Debian's ${a.compilerPackage} provides it): ${(e as Error).message.split("\n")[0]}`,
      { cause: e },
    );
  }
}

const progressEveryMs = 15_000;

/**
 * Runs make, calling `progress` with the number of files compiled so far every few seconds.
 * A failure's message holds make's error lines and the end of its output, not megabytes of log.
 */
export function runMake(
  command: string[],
  env: NodeJS.ProcessEnv,
  progress?: (compiled: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    const errors: string[] = [];
    const tail: string[] = [];
    let compiled = 0;
    let partial = "";
    let reported = Date.now();
    const take = (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        if (/^\s+CC( \[M\])?\s/.test(line)) compiled++;
        if (/error|\*\*\*/i.test(line) && errors.length < 30) errors.push(line);
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
      if (progress && Date.now() - reported > progressEveryMs) {
        reported = Date.now();
        progress(compiled);
      }
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", (e) => reject(new Error(`cannot run ${command[0]}: ${e.message}`)));
    child.on("close", (code) => {
      if (partial) tail.push(partial);
      if (code === 0) return resolve();
      const shown = [...errors, ...(errors.length ? ["..."] : []), ...tail.filter((l) => !errors.includes(l))];
      reject(new Error(`kernel make failed (exit ${code}): ${command.join(" ")}\n${shown.join("\n")}`));
    });
  });
}
