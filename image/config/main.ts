// CLI: evaluate a configuration for a device and write the compiled system to a directory.
//   npx tsx image/config/main.ts --config examples/hello-from-qemu.ts --device qemu-aarch64 --out build/system
import { parseArgs } from "node:util";
import { z } from "zod";
import { compile } from "./compile.ts";
import { ConfigError } from "./errors.ts";
import { evaluate } from "./evaluate.ts";
import { loadConfig, loadDevice } from "./load.ts";
import { writeSystem } from "./write.ts";

const argsSchema = z.strictObject({
  config: z.string().min(1),
  device: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "must be a device name as in devices/"),
  out: z.string().min(1),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { config: { type: "string" }, device: { type: "string" }, out: { type: "string" } },
    strict: true,
  });
  const args = argsSchema.safeParse(values);
  if (!args.success) {
    const issue = args.error.issues[0];
    throw new Error(
      `--${issue.path.join(".")}: ${issue.message}\nusage: main.ts --config <file.ts> --device <name> --out <directory>`,
    );
  }
  const { config, device, out } = args.data;
  const system = compile(evaluate(await loadConfig(config), await loadDevice(device)));
  await writeSystem(system, out);
  console.log(
    `${out}: ${Object.keys(system.database.services).length} services, ${system.files.length} files, ${system.packages.length} packages`,
  );
}

main().catch((e: unknown) => {
  console.error(
    e instanceof ConfigError ? `configuration error: ${e.message}` : e instanceof Error ? e.message : String(e),
  );
  process.exitCode = 1;
});
