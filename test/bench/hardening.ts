// `npm run bench` (hardening): the figures of issue 15, each from the machinery its test uses —
// the bad configurations refused out of those tried (test/config/refused-corpus.ts), supervised
// daemons killed at random moments under real s6 and back each time (test/svc/kills.ts), and
// rebuilds byte-identical (test/lib/rebuild.ts): hello-from-qemu for qemu-aarch64 built twice,
// each from its own empty cache sharing only the Debian downloads, and the kernel of
// hello-from-qemu for the gl-mt300n-v2 (mips tinyconfig and the fewest options of the kernels the
// tests build from source) built twice from source, each in an empty cache sharing only the Debian
// downloads and the unpacked source: two cold kernel builds, 20-30 min each on two cores.
// A row that fails says so and the script exits 1 once every row has run.
// Smoke mode runs the corpus and 4 kills, and skips the rebuilds, saying so. BENCH_KERNEL_WARM=1
// shares the user's kernel builds too: a check of this script (the same files twice), not of the kernel.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { corpus, judge, removeScratch } from "../config/refused-corpus.ts";
import { buildWith, differences, freshCache, hashes, imageBuild } from "../lib/rebuild.ts";
import { daemonBed, killAtRandom } from "../svc/kills.ts";
import { scaled, smoke } from "./common.ts";

const daemons = ["d1", "d2", "d3", "d4"];
const killsEach = scaled(25, 1);
const kernelWarm = process.env.BENCH_KERNEL_WARM === "1";

/** A row's figure, or why it could not be measured or missed its target (the bench then fails). */
interface Row {
  figure: string;
  ok: boolean;
  details?: string[];
}

async function refused(): Promise<Row> {
  const started = Date.now();
  const wrong: string[] = [];
  try {
    for (const bad of corpus) {
      const problems = await judge(bad);
      if (problems.length > 0) wrong.push(`${bad.what}: ${problems.join("; ")}`);
    }
  } finally {
    removeScratch();
  }
  const seconds = (Date.now() - started) / 1000;
  return {
    figure: `${corpus.length - wrong.length}/${corpus.length} refused in one line naming option and file:line (${seconds.toFixed(1)} s)`,
    ok: wrong.length === 0,
    details: wrong,
  };
}

async function kills(): Promise<Row> {
  const bed = await daemonBed(daemons);
  try {
    const started = Date.now();
    const k = await killAtRandom(bed, daemons, killsEach, 20261203);
    const seconds = (Date.now() - started) / 1000;
    return {
      figure: `${k.survived}/${k.tried} survived (${daemons.length} daemons, each back, ready and named by svc status; ${seconds.toFixed(0)} s)`,
      ok: k.failures.length === 0 && k.survived === daemons.length * killsEach,
      details: k.failures,
    };
  } finally {
    await bed.stop();
  }
}

/** Compares two builds' hashes: "yes" with the file count, or "no" with what differs. */
function identical(a: Record<string, string>, b: Record<string, string>, what: string): Row {
  const differ = differences(a, b);
  return differ.length === 0
    ? { figure: `yes, ${Object.keys(a).length} files (${what})`, ok: true }
    : { figure: `no, ${differ.length} of ${Object.keys(a).length} files differ (${what})`, ok: false, details: differ };
}

async function rebuild(work: string): Promise<Row> {
  const image = { device: "qemu-aarch64", config: "examples/hello-from-qemu.ts", shared: ["apt"] };
  const a = await imageBuild(work, "image-a", image);
  const b = await imageBuild(work, "image-b", image);
  return identical(
    a.files,
    b.files,
    `hello-from-qemu for qemu-aarch64, image and runtime, cold builds ${a.seconds.toFixed(0)} s and ${b.seconds.toFixed(0)} s`,
  );
}

async function kernel(work: string): Promise<Row> {
  const shared = ["apt", "kernel-source", ...(kernelWarm ? ["kernel", "kernel-config"] : [])];
  const builds = [];
  for (const name of ["kernel-a", "kernel-b"]) {
    const cache = freshCache(join(work, `cache-${name}`), shared);
    const out = join(work, `out-${name}`);
    const args = ["image/kernel/main.ts", "--device", "gl-mt300n-v2", "--config", "examples/hello-from-qemu.ts"];
    const seconds = await buildWith(cache, [...args, "--out", out]);
    builds.push({ files: hashes(out), seconds });
  }
  const [a, b] = builds;
  const row = identical(
    a.files,
    b.files,
    `hello-from-qemu's for gl-mt300n-v2, ${kernelWarm ? "BENCH_KERNEL_WARM: the cached build twice" : "cold builds"} ${a.seconds.toFixed(0)} s and ${b.seconds.toFixed(0)} s`,
  );
  console.log(`kernel rebuild byte-identical: ${row.ok ? "yes" : "no"}`);
  for (const f of Object.keys({ ...a.files, ...b.files }).sort())
    console.log(
      `  ${f.padEnd(12)} ${a.files[f] === b.files[f] ? a.files[f] : `${a.files[f] ?? "(missing)"} vs ${b.files[f] ?? "(missing)"}`}`,
    );
  return row;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "limen-bench-hardening-"));
  const skipped = (why: string) => (): Promise<Row> =>
    Promise.resolve({ figure: `skipped in smoke mode (${why})`, ok: true });
  const rows: [string, () => Promise<Row>][] = [
    ["bad configurations refused", refused],
    ["daemon kills survived", kills],
    ["rebuilds byte-identical", smoke ? skipped("two cold image builds") : () => rebuild(work)],
    ["kernel rebuild byte-identical", smoke ? skipped("two cold kernel builds") : () => kernel(work)],
  ];
  console.log(`hardening (issue 15)${smoke ? ", smoke mode" : ""}\n`);
  let failed = 0;
  try {
    for (const [name, measure] of rows) {
      const row = await measure().catch((e: unknown): Row => ({
        figure: `FAILED: ${e instanceof Error ? e.message : String(e)}`,
        ok: false,
      }));
      // the target of every row is all of them: every configuration refused, every kill survived, every file the same
      const verdict = row.ok ? "" : row.figure.startsWith("FAILED") ? "" : ": MISSED (target: all)";
      console.log(`${name.padEnd(30)} ${row.figure}${verdict}`);
      for (const d of row.details ?? []) console.log(`  ${d}`);
      if (!row.ok) failed++;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (failed > 0) {
    console.log(`\nhardening: ${failed} of ${rows.length} rows failed`);
    process.exitCode = 1;
  }
}

await main();
