// CLI: build the kernel of a configuration for a device from Debian's linux-source-6.1.
//   npx tsx image/kernel/main.ts --device qemu-aarch64 [--config examples/hello-from-qemu.ts] [--out build/kernel]
import { existsSync } from "node:fs";
import { cp, rename, rm, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { compile } from "../config/compile.ts";
import { ConfigError } from "../config/errors.ts";
import { evaluate } from "../config/evaluate.ts";
import { loadConfig, loadDevice } from "../config/load.ts";
import { kernelForSystem } from "./index.ts";

const usage = "usage: main.ts --device <name> [--config <file.ts>] [--out <directory>]";
const argsSchema = z.strictObject({
  device: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a device name as in devices/"),
  config: z.string().min(1).default("examples/hello-from-qemu.ts"),
  out: z.string().min(1).default("build/kernel"),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { config: { type: "string" }, device: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  const args = argsSchema.safeParse(values);
  if (!args.success) {
    const issue = args.error.issues[0];
    throw new Error(`--${issue.path.join(".")}: ${issue.message}\n${usage}`);
  }
  const { config, device, out } = args.data;
  const started = Date.now();
  const system = compile(evaluate(await loadConfig(config), await loadDevice(device)));
  const kernel = await kernelForSystem(system, (line) => console.log(line));
  // the result appears whole or not at all
  const dest = resolve(out);
  const tmp = `${dest}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    for (const f of [kernel.image, kernel.vmlinux, kernel.config, kernel.systemMap, ...Object.values(kernel.targets)]) {
      await cp(f, join(tmp, basename(f) === "config" ? ".config" : basename(f)), { recursive: true });
    }
    if (kernel.modules) await cp(kernel.modules, join(tmp, "modules"), { recursive: true, verbatimSymlinks: true });
    if (existsSync(dest)) await rm(dest, { recursive: true });
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const size = (await stat(join(dest, basename(kernel.image)))).size;
  console.log(
    `${out}: Linux ${kernel.release} (${kernel.sourceVersion}), ${basename(kernel.image)} ${(size / 1024).toFixed(0)} KiB${kernel.modules ? ", modules" : ""}, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

main().catch((e: unknown) => {
  console.error(
    e instanceof ConfigError
      ? `configuration error: ${e.message}`
      : `kernel: ${e instanceof Error ? e.message : String(e)}`,
  );
  process.exitCode = 1;
});
