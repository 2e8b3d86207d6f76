// Runs device-library tests inside the real engine: linked into build/test/limen-test-<cpu>
// and driven by test/runtime/engine.test.ts on every CPU. `fuzz COUNT SEED [TARGET...]` fuzzes the
// parsers instead, or the targets named (test/runtime/fuzz.test.ts, test/bench/fuzz.ts; natively
// only, qemu-user is too slow).
import * as std from "qjs:std";
import type { Suite } from "./assert";
import { crypto } from "./crypto";
import { engine } from "./engine";
import { fuzz } from "./fuzz";
import { endlessLoop, targets, type Target } from "./fuzz-targets";
import { jwe } from "./jwe";
import { nativeCalls } from "./native";
import { net } from "./net";
import { processes } from "./process";
import { utf8 } from "./utf8";

const suites: Record<string, Suite> = { engine, utf8, processes, nativeCalls, crypto, net, jwe };

function fuzzAll(chosen: Target[], count: number, seed: number): number {
  let crashes = 0;
  for (const t of chosen) {
    const r = fuzz(t, count, seed);
    crashes += r.crashes;
    console.log(`fuzz ${r.target}: ${r.inputs} inputs, ${r.crashes} crashes, slowest ${r.slowest} ms, ${r.ms} ms`);
  }
  return crashes === 0 ? 0 : 1;
}

const [, mode, count, seed, ...names] = scriptArgs;
if (mode === "fuzz") {
  const known = [...targets, endlessLoop];
  const chosen = names.length === 0 ? targets : known.filter((t) => names.includes(t.name));
  const unknown = names.filter((n) => !known.some((t) => t.name === n));
  if (!/^\d+$/.test(count ?? "") || !/^\d+$/.test(seed ?? "") || unknown.length > 0) {
    console.log(`usage: limen-test [fuzz COUNT SEED [TARGET...]], targets: ${known.map((t) => t.name).join(", ")}`);
    std.exit(2);
  }
  std.exit(fuzzAll(chosen, Number(count), Number(seed)));
}

let failed = 0;
for (const [suite, cases] of Object.entries(suites)) {
  for (const [name, run] of Object.entries(cases)) {
    try {
      await run();
      console.log(`ok ${suite}: ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${suite}: ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
std.exit(failed === 0 ? 0 : 1);
