// `npm run lock -- [--lock FILE] --update SPEC...`: moves the pins of build.lock.json, or of a
// configuration's lock file, to the archive's current versions (image/lib/pinned.ts), as a build
// that stopped on a vanished version says to.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { bookworm, sid } from "./lib/debian.ts";
import { buildLockFile, updatePin } from "./lib/pinned.ts";

const usageText =
  "usage: npm run lock -- [--lock FILE] --update SPEC... (SPEC as the lock file names it, e.g. qjs-src, musl:arm64)";
const Args = z.strictObject({
  lock: z.string().min(1).optional(),
  update: z.array(z.string().regex(/^[a-z0-9][a-z0-9.+-]*(:[a-z0-9]+)?$/, "is not a package spec")).min(1),
});

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { lock: { type: "string" }, update: { type: "string", multiple: true } },
    strict: true,
  });
  const args = Args.safeParse(values);
  if (!args.success) {
    const issue = args.error.issues[0];
    throw new Error(`--${issue.path.join(" ")}: ${issue.message}\n${usageText}`);
  }
  const file = args.data.lock ? resolve(args.data.lock) : buildLockFile();
  // build.lock.json's groups are the repositories; a configuration's are architectures, all bookworm
  const repoOf = (group: string) => (group === sid.name ? sid : bookworm);
  for (const spec of args.data.update) {
    for (const { group, pkg } of await updatePin(file, spec, repoOf))
      console.log(`${spec} pinned at ${pkg.version} (${group}) in ${file}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`npm run lock: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
