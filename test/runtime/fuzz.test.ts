// The device's parsers on mutated real inputs, in the real engine (x86_64 only: under qemu-user
// it would take minutes). test/engine/fuzz.ts says what a crash is; test/bench/fuzz.ts runs more.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { projectRoot } from "../../image/lib/cache.ts";
import { runBinary, targets } from "../lib/runtime.ts";

const native = targets.find((t) => t.qemu === undefined)!;
const program = join(projectRoot, "build", "test", `limen-test-${native.cpu}`);

it("every parser takes 1,000 mutated inputs without a crash, each within 1 s", () => {
  if (!existsSync(program)) throw new Error(`${program} is missing: build it with \`npm run build -- --tests\``);
  const r = runBinary(native, ["fuzz", "1000", "15"], { path: program });
  const lines = r.stdout.trim().split("\n");
  expect(lines.filter((l) => !/^fuzz .*: 1000 inputs, 0 crashes, /.test(l))).toEqual([]);
  expect(lines.map((l) => l.split(":")[0])).toEqual([
    "fuzz http response",
    "fuzz jwe file",
    "fuzz jwe header",
    "fuzz tang answer",
    "fuzz netlink uevent",
    "fuzz netlink links",
    "fuzz service database",
    "fuzz secrets document",
    "fuzz outboard settings",
    "fuzz secret file templates",
    "fuzz authorized keys",
    "fuzz ssh private key",
    "fuzz svc log lines",
    "fuzz s6 status stamp",
  ]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
});
