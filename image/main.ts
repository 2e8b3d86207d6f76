// `npm run image -- [--device NAME] [--config FILE] [--output OUTPUT] [--out DIR]`
import { parseArgs } from "node:util";
import { z } from "zod";
import { ConfigError } from "./config/errors.ts";
import { buildImage } from "./build.ts";
import { outputs } from "./config/outputs.ts";
import { ensureHostPrograms } from "./lib/host-programs.ts";

const Args = z.strictObject({
  device: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, "must be a device name as in devices/")
    .default("qemu-aarch64"),
  config: z.string().min(1).default("examples/hello-from-qemu.ts"),
  output: z.enum(outputs).optional(),
  out: z.string().min(1).default("result"),
});
const usage = `usage: npm run image -- [--device NAME] [--config FILE] [--output ${outputs.join("|")}] [--out DIR]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      device: { type: "string" },
      config: { type: "string" },
      output: { type: "string" },
      out: { type: "string" },
    },
    strict: true,
  });
  const args = Args.safeParse(values);
  if (!args.success) {
    const issue = args.error.issues[0];
    throw new Error(`--${issue.path.join(".")}: ${issue.message}\n${usage}`);
  }
  ensureHostPrograms("build");
  const started = Date.now();
  const progress = (step: string) =>
    console.error(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${step}`);
  const { output, out } = await buildImage({ ...args.data, progress });
  const done: Record<typeof output, string> = {
    vmroot: `vmroot is in ${out}: start it with ${out}/run.sh`,
    tftpboot: `tftpboot is in ${out}: serve it over TFTP and run boot.scr (or the commands of boot.txt) at the U-Boot prompt`,
    ubimage: `ubimage is in ${out}: serve it over TFTP and run flash.scr (or the commands of flash.txt) at the U-Boot prompt`,
    mtdimage: `${out}/firmware.bin is the flash image; ${out}/flash.txt the U-Boot commands that write it (flash.scr for source)`,
    systemConfiguration: `the root tree is ${out}/root, its owners and modes listed in ${out}/owners`,
    manifest: `the compiled system description is ${out}/system.json`,
  };
  progress(done[output]);
}

main().catch((e: unknown) => {
  console.error(
    e instanceof ConfigError
      ? `configuration error: ${e.message}`
      : `npm run image: ${e instanceof Error ? e.message : String(e)}`,
  );
  process.exitCode = 1;
});
