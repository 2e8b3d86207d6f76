// `npm run lab -- --config FILE [--device qemu-aarch64|qemu-armv7l|qemu-mipsel] [--json] [--keep]
//   [--port PORT] [--login USER:PASSWORD] [--secrets DIR]`: tries a configuration against a simulated ISP and a
// LAN client in QEMU and reports each check (image/lab/lab.ts). Exit 0 only when every applicable
// check passes.
import { existsSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ConfigError } from "../config/errors.ts";
import { ensureHostPrograms } from "../lib/host-programs.ts";
import { labDevices, runLab } from "./lab.ts";
import { formatReport } from "./report.ts";
import { TopologyError } from "./topology.ts";

const Args = z.strictObject({
  config: z.string().min(1).refine(existsSync, "no such file"),
  device: z.enum(labDevices).default("qemu-aarch64"),
  json: z.boolean().default(false),
  keep: z.boolean().default(false),
  // the lab's own range of UDP ports for its three multicast networks
  port: z.coerce.number().int().min(1024).max(65533).default(24400),
  login: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]*:.+$/, "must be USER:PASSWORD")
    .default("root:secret")
    .transform((s) => ({ user: s.slice(0, s.indexOf(":")), password: s.slice(s.indexOf(":") + 1) })),
  // a file per key of the configuration's secrets stores (ppp/password), instead of the lab's own
  secrets: z
    .string()
    .refine((d) => existsSync(d) && statSync(d).isDirectory(), "no such folder")
    .nullable()
    .default(null),
});
const usage = `usage: npm run lab -- --config FILE [--device ${labDevices.join("|")}] [--json] [--keep] [--port PORT] [--login USER:PASSWORD] [--secrets DIR]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: "string" },
      device: { type: "string" },
      json: { type: "boolean" },
      keep: { type: "boolean" },
      port: { type: "string" },
      login: { type: "string" },
      secrets: { type: "string" },
    },
    strict: true,
  });
  const args = Args.safeParse(values);
  if (!args.success) {
    const issue = args.error.issues[0];
    throw new Error(`--${issue.path.join(".")}: ${issue.message}\n${usage}`);
  }
  ensureHostPrograms("test");
  const started = Date.now();
  const progress = (step: string) =>
    console.error(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${step}`);
  const { report, kept } = await runLab({ ...args.data, progress });
  console.log(args.data.json ? JSON.stringify(report, null, 1) : formatReport(report));
  for (const g of kept)
    console.error(`${g.name} left running: pid ${g.pid}, console: socat -,rawer UNIX-CONNECT:${g.console}`);
  process.exitCode = report.passed ? 0 : 1;
}

main().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  console.error(
    e instanceof ConfigError
      ? `configuration error: ${message}`
      : e instanceof TopologyError
        ? message
        : `npm run lab: ${message}`,
  );
  process.exitCode = 2;
});
