// svc loads the kernel modules a service declares before it starts, from the files the image's
// table names. The test machine's kernel is not ours to change: only files that do not exist
// are "loaded" (open fails before the kernel is asked), which proves the order and the refusal.
import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Bed, type Fixture } from "./bed.ts";
import { moduleTableVersion } from "../../runtime/src/svc/kernel-modules.ts";
import { until } from "../lib/until.ts";

let bed: Bed | null = null;
async function start(services: Record<string, Fixture>, table: Record<string, string[]> | null): Promise<Bed> {
  bed = new Bed(services);
  if (table !== null)
    writeFileSync(bed.layout.kernelModules, JSON.stringify({ version: moduleTableVersion, modules: table }));
  await bed.start();
  return bed;
}
afterEach(async () => {
  await bed?.stop();
  bed = null;
});

const note = 'echo "up $SERVICE" >> events';

describe("a service's kernel modules", () => {
  it("keep it and what needs it down when one fails to load, naming the module in svc's errors and its log", async () => {
    const b = await start(
      {
        br: { type: "oneshot", kernelModules: ["stp_ok", "bridge"], up: note },
        after: { type: "oneshot", dependencies: ["br"], up: note },
        daemon: { type: "longrun", kernelModules: ["bridge"], run: `${note}; exec sleep 1000` },
      },
      // stp_ok is built in; bridge's dependency llc comes first and is missing
      { stp_ok: [], bridge: ["/lib/modules/6.1.0-test/llc.ko", "/lib/modules/6.1.0-test/bridge.ko"] },
    );
    const r = b.svc("start", "after", "daemon");
    expect(r.code).toBe(1);
    const why = `kernel module bridge: ENOENT: open ${b.root}/lib/modules/6.1.0-test/llc.ko: No such file or directory`;
    expect(r.stderr).toContain(`svc: br: ${why}`);
    expect(r.stderr).toContain(`svc: daemon: ${why}`);
    expect(r.stderr).toContain("svc: after: skipped, br did not come up");
    expect(b.events()).toEqual([]);
    expect(b.svc("list", "--down").stdout).toBe("after\nbr\ndaemon\n");
    await until("the refusal in br's log", () => b.svc("log", "br").stdout.includes(why), 5_000);
    expect(b.svc("log", "br").stdout).toMatch(/^\S+ \S+ br svc: kernel module bridge: ENOENT: open \S+\/llc\.ko/);
    await until("the refusal in daemon's log", () => b.svc("log", "daemon").stdout.includes(why), 5_000);
  });

  it("are nothing to load when built in, or when the image has no table (a kernel built from source)", async () => {
    let b = await start(
      {
        fw: { type: "oneshot", kernelModules: ["nf_tables"], up: note },
        none: { type: "oneshot", up: note },
      },
      { nf_tables: [] },
    );
    let r = b.svc("start", "fw", "none");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(b.events().sort()).toEqual(["up fw", "up none"]);
    await b.stop();
    b = await start({ fw: { type: "oneshot", kernelModules: ["nf_tables"], up: note } }, null);
    r = b.svc("start", "fw");
    expect(r.stderr).toBe("");
    expect(b.events()).toEqual(["up fw"]);
  });

  it("must be in the image's table when there is one", async () => {
    const b = await start({ fw: { type: "oneshot", kernelModules: ["nft_masq"], up: note } }, { nf_tables: [] });
    const r = b.svc("start", "fw");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`svc: fw: kernel module nft_masq: not in ${b.layout.kernelModules}`);
    expect(b.events()).toEqual([]);
  });
});
