// A oneshot may be named as one of svc's own files (its lock, the shutdown action): its state
// must not take their place.
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Bed } from "./bed.ts";

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.stop();
  bed = null;
});

describe("oneshots named as svc's own state files", () => {
  it("go up and down without replacing or removing the lock or the shutdown action", () => {
    bed = new Bed({ lock: { type: "oneshot" }, shutdown: { type: "oneshot" } });
    expect(bed.svc("start", "lock", "shutdown").code).toBe(0);
    expect(bed.svc("list").stdout.split("\n").sort()).toEqual(["", "lock", "shutdown"]);
    expect(bed.svc("stop", "lock", "shutdown").code).toBe(0);
    expect(bed.svc("list", "--down").stdout.split("\n").sort()).toEqual(["", "lock", "shutdown"]);
    // svc's lock is still the file every call locks, never a oneshot's state file removed by stop
    expect(existsSync(bed.layout.lock)).toBe(true);
  });
});
