// `npm run bench` (fuzz): every device parser on 100,000 mutated real inputs in the real engine
// (x86_64, natively), with the crashes found (0 is the target) and the time taken. What a crash
// is, and the parsers and their seeds: test/engine/fuzz.ts and fuzz-targets.ts.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../../image/lib/cache.ts";
import { build } from "../../runtime/build/main.ts";
import { scaled, table } from "./common.ts";

const inputs = Number(process.env.BENCH_FUZZ_INPUTS ?? scaled(100_000, 100));
const seed = Number(process.env.BENCH_FUZZ_SEED ?? 15);

await build(["x86_64"], true);
const program = join(projectRoot, "build", "test", "limen-test-x86_64");
const started = Date.now();
const child = spawn(program, ["fuzz", String(inputs), String(seed)], { stdio: ["ignore", "pipe", "inherit"] });
let out = "";
child.stdout.on("data", (b: Buffer) => (out += b.toString()));
const code = await new Promise<number | null>((done) => child.on("close", done));
const seconds = (Date.now() - started) / 1000;

const rows: string[][] = [];
for (const line of out.split("\n")) {
  const m = /^fuzz (.+): (\d+) inputs, (\d+) crashes, slowest (\d+) ms, (\d+) ms$/.exec(line);
  if (m) rows.push([m[1], m[2], m[3], `${m[4]} ms`, `${(Number(m[5]) / 1000).toFixed(1)} s`]);
  else if (line.startsWith("CRASH ")) console.log(line.length > 400 ? `${line.slice(0, 400)}…` : line);
}
console.log(`fuzzing the device's parsers (x86_64, seed ${seed}), limit 1 s per input`);
table(["parser", "inputs", "crashes", "slowest", "time"], rows);
console.log(`fuzz: ${rows.length} parsers, ${inputs} inputs each, ${seconds.toFixed(1)} s in all, exit ${code}`);
if (code !== 0 || rows.length === 0) process.exit(1);
