// Runs device-library tests inside the real engine: linked into build/test/limen-test-<cpu>
// and driven by test/runtime/engine.test.ts on every CPU.
import * as std from "qjs:std";
import type { Suite } from "./assert";
import { crypto } from "./crypto";
import { engine } from "./engine";
import { jwe } from "./jwe";
import { nativeCalls } from "./native";
import { net } from "./net";
import { processes } from "./process";
import { utf8 } from "./utf8";

const suites: Record<string, Suite> = { engine, utf8, processes, nativeCalls, crypto, net, jwe };

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
