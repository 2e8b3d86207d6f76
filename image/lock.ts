// `npm run lock -- --update SPEC...`: moves build.lock.json's pins (image/lib/pinned.ts) to the
// archive's current versions, as a build that stopped on a vanished version says to.
import { parseArgs } from "node:util";
import { z } from "zod";
import { bookworm, sid } from "./lib/debian.ts";
import { buildLockFile, updatePin } from "./lib/pinned.ts";

const usageText = `usage: npm run lock -- --update SPEC... (SPEC as build.lock.json names it, e.g. qjs-src, musl:arm64)`;
const Args = z.strictObject({
  update: z.array(z.string().regex(/^[a-z0-9][a-z0-9.+-]*(:[a-z0-9]+)?$/, "is not a package spec")).min(1),
});

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { update: { type: "string", multiple: true } }, strict: true });
  const args = Args.safeParse(values);
  if (!args.success) {
    const issue = args.error.issues[0];
    throw new Error(`--update ${issue.path.slice(1).join(".")}: ${issue.message}\n${usageText}`);
  }
  for (const spec of args.data.update) {
    // the repository is the one the spec is fetched from: sid for qjs-src, bookworm otherwise
    const repo = spec === "qjs-src" ? sid : bookworm;
    const pkg = await updatePin(repo, spec);
    console.log(`${spec} pinned at ${pkg.version} (${repo.name}) in ${buildLockFile()}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`npm run lock: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
