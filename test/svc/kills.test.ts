// Supervised daemons killed at random moments under real s6 (kills.ts): each time one comes back,
// and svc status tells the truth about it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Bed } from "./bed.ts";
import { daemonBed, killAtRandom } from "./kills.ts";

const daemons = ["d1", "d2", "d3", "d4"];
const killsEach = 25;

let bed: Bed;
beforeAll(async () => {
  bed = await daemonBed(daemons);
});
afterAll(async () => {
  await bed.stop();
});

describe("daemons killed at random moments", { timeout: 300_000 }, () => {
  it(`come back every time, ${daemons.length * killsEach} kills, and svc status names the running process`, async () => {
    const kills = await killAtRandom(bed, daemons, killsEach, 20261203);
    expect(kills).toEqual({ tried: daemons.length * killsEach, survived: daemons.length * killsEach, failures: [] });
    expect(bed.svc("list").stdout).toBe(daemons.join("\n") + "\n");
  });
});
