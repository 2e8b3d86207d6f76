// Every bench script in smoke mode (BENCH_SMOKE=1, test/bench/common.ts): one short round, no
// image builds of its own, so that a bench that no longer runs to the end fails npm test. The
// figures are checked for being printed, not against their targets (this machine is busy).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../image/lib/cache.ts";

const root = process.getuid?.() === 0;

async function smoke(script: string): Promise<string> {
  const { stdout } = await promisify(execFile)("npx", ["tsx", `test/bench/${script}`], {
    cwd: projectRoot,
    env: { ...process.env, BENCH_SMOKE: "1" },
    encoding: "utf8",
    timeout: 110_000,
  });
  return stdout;
}

describe("bench scripts in smoke mode", { timeout: 120_000 }, () => {
  it("runtime.ts: sizes and start-up on every CPU, svc list, outboard, tang and subscriber", async () => {
    const out = await smoke("runtime.ts");
    for (const cpu of [
      "x86_64 \\(native\\)",
      "aarch64 \\(qemu\\)",
      "armv7 \\(qemu\\)",
      "mipsel \\(qemu\\)",
      "mips \\(qemu\\)",
    ])
      expect(out).toMatch(new RegExp(`^${cpu} +\\d+ KiB +\\d+ KiB +\\d+ KiB +[\\d.]+ ms`, "m"));
    expect(out).toMatch(/^rebuild with nothing changed: [\d.]+ s$/m);
    expect(out).toMatch(/^x86_64 \(native\) +[\d.]+ ms +[\d.]+ ms +[\d.]+x +\d+ KiB +\d+ KiB/m);
    expect(out).toMatch(/^secrets\.outboard \(native\): peak RSS \d+ KiB after 1 HTTPS fetch, CPU \d+ ms/m);
    expect(out).toMatch(/^secrets\.tang \(native\): first secrets in \d+ ms; peak RSS \d+ KiB/m);
    expect(out).toMatch(/^secrets\.subscriber \(native\): peak RSS \d+ KiB after 1 change; CPU \d+ ms/m);
  });

  it("controllers-s6.ts: health-check, round-robin and watchdog under s6", async () => {
    const out = await smoke("controllers-s6.ts");
    for (const name of ["health-check", "round-robin", "watchdog"])
      expect(out).toMatch(new RegExp(`^${name} +\\d+ KiB +\\d+ ms +\\d+ +rss<=`, "m"));
  });

  // a network namespace of its own needs root: skipped (and reported so) otherwise
  it.skipIf(!root)("controllers.ts: uevent-rule and ifwait in a network namespace (root)", async () => {
    const out = await smoke("controllers.ts");
    expect(out).toContain("max RSS after 1 device came and went");
    for (const name of ["uevent-rule", "ifwait"])
      expect(out).toMatch(new RegExp(`^${name} +\\d+ KiB +\\d+ ms +rss<=`, "m"));
  });

  it("image.ts: skipped in smoke mode, saying so (it builds images and boots one under QEMU)", async () => {
    const out = await smoke("image.ts");
    expect(out).toMatch(/^image benchmark: skipped in smoke mode/m);
    expect(out).toMatch(/^NOR image benchmark: skipped in smoke mode/m);
  });

  it("lab.ts: skipped in smoke mode, saying so (it builds and boots three guests)", async () => {
    expect(await smoke("lab.ts")).toMatch(/^lab benchmark: skipped in smoke mode/m);
  });

  it("fuzz.ts: every parser on mutated inputs in the engine, 0 crashes", async () => {
    const out = await smoke("fuzz.ts");
    expect(out).toMatch(/^http response +100 +0 +\d+ ms/m);
    expect(out).toMatch(/^fuzz: \d+ parsers, 100 inputs each, [\d.]+ s in all, exit 0$/m);
  });

  it("hardening.ts: the bad configurations refused and the kills survived; the rebuilds skipped, saying so", async () => {
    const out = await smoke("hardening.ts");
    expect(out).toMatch(/^bad configurations refused +(\d+)\/\1 refused in one line/m);
    expect(out).toMatch(/^daemon kills survived +4\/4 survived/m);
    expect(out).toMatch(/^rebuilds byte-identical +skipped in smoke mode/m);
    expect(out).toMatch(/^kernel rebuild byte-identical +skipped in smoke mode/m);
  });

  it("config.ts: evaluating and compiling a configuration", async () => {
    expect(await smoke("config.ts")).toMatch(
      /^examples\/demo\.ts for qemu-aarch64: load \d+ ms, first evaluate\+compile [\d.]+ ms, then [\d.]+ ms each; \d+ services, \d+ files$/m,
    );
  });
});
