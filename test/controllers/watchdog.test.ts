// The watchdog template and its feeder against real s6. Here the device end is a FIFO the test
// reads, to see each feed and when feeding stops; test/qemu/watchdog.test.ts proves the same
// against the kernel's real watchdog (softdog), which reboots the router.
import { spawnSync } from "node:child_process";
import { createReadStream, mkdirSync, writeFileSync, type ReadStream } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, longrun, oneshot } from "../../image/config/index.ts";
import watchdog from "../../services/watchdog/index.ts";
import { testDevice } from "../config/fixtures.ts";
import { Bed } from "../svc/bed.ts";
import { layout } from "../../runtime/src/layout.ts";
import { settle } from "../lib/until.ts";

const onDevice = layout("");

describe("watchdog template", () => {
  it("compiles to a service in the default set that does not depend on what it watches", () => {
    const sshd = longrun({ name: "sshd", run: "exec dropbear -F" });
    const lan = oneshot({ name: "lan", up: "true" });
    const dog = watchdog.svc.watchdog.build({ watched: [sshd, lan], headStart: 30 });
    const sys = compile(evaluate(defineConfig({ imports: [watchdog], services: { sshd, lan, dog } }), testDevice));
    expect(sys.database.services["watchdog"].dependencies).toEqual([]);
    expect(sys.defaultServices.sort()).toEqual(["lan", "sshd", "watchdog"]);
    expect(sys.kernel.config["WATCHDOG"]).toBe("y");
    const run = sys.files.find((f) => f.path === `${onDevice.longrun("watchdog")}/run`);
    expect(run && "content" in run ? run.content : "").toContain(
      "exec limen watchdog /dev/watchdog 30000 10000 sshd lan",
    );
  });

  it("brings the services it watches into the system, as services of their own", () => {
    const sshd = longrun({ name: "sshd", run: "exec dropbear -F" });
    const dog = watchdog.svc.watchdog.build({ watched: [sshd] });
    const sys = compile(evaluate(defineConfig({ imports: [watchdog], services: { dog } }), testDevice));
    expect(sys.database.services["sshd"]).toMatchObject({ controlled: false, dependencies: [] });
    expect(sys.defaultServices.sort()).toEqual(["sshd", "watchdog"]);
  });

  it("takes an absolute device path only", () => {
    const sshd = longrun({ name: "sshd", run: "exec dropbear -F" });
    const dog = watchdog.svc.watchdog.build({ watched: [sshd], device: "watchdog0" });
    expect(() => evaluate(defineConfig({ imports: [watchdog], services: { sshd, dog } }), testDevice)).toThrow(
      /device: must be an absolute path/,
    );
  });
});

let bed: Bed | null = null;
let reader: ReadStream | null = null;
afterEach(async () => {
  reader?.destroy();
  reader = null;
  await bed?.stop();
  bed = null;
});

/**
 * The watched longrun `web` (controlled when `startWeb` is false: boot leaves it down) and a feeder writing into a
 * FIFO.
 */
async function fed(startWeb: boolean): Promise<{ b: Bed; feeds: () => string }> {
  const b = new Bed({
    web: { type: "longrun", controlled: !startWeb, run: "exec sleep 1000" },
    watchdog: { type: "longrun", run: "exec limen watchdog dev.fifo 600 100 web" },
  });
  bed = b;
  expect(spawnSync("mkfifo", [b.path("dev.fifo")]).status).toBe(0);
  let received = "";
  reader = createReadStream(b.path("dev.fifo"), { encoding: "utf8" });
  reader.on("data", (d) => (received += String(d)));
  await b.start();
  expect(b.svc("boot").code).toBe(0);
  return { b, feeds: () => received };
}

describe("watchdog feeder", () => {
  it("feeds while the watched services are up, stops when one is down after the head start, and resumes", async () => {
    const { b, feeds } = await fed(true);
    await settle(1200);
    expect(feeds().length).toBeGreaterThanOrEqual(4);
    expect(b.svc("stop", "web").code).toBe(0);
    // the feeder may feed once more before its next look
    await settle(500);
    const stopped = feeds().length;
    await settle(1000);
    expect(feeds().length).toBe(stopped);
    expect(b.svc("log", "watchdog").stdout).toContain("not feeding: web down");
    expect(b.svc("start", "web").code).toBe(0);
    await settle(1000);
    expect(feeds().length).toBeGreaterThanOrEqual(stopped + 3);
    expect(b.svc("log", "watchdog").stdout).toContain("every watched service is up: feeding again");
    // never the magic close character: the feeder's end leaves the watchdog running
    expect(feeds()).toMatch(/^1+$/);
  });

  it("feeds during the head start whatever the services' state, then stops", async () => {
    const { feeds } = await fed(false);
    await settle(1300);
    const during = feeds().length;
    expect(during).toBeGreaterThanOrEqual(2);
    expect(during).toBeLessThanOrEqual(8);
    await settle(800);
    expect(feeds().length).toBe(during);
  });

  it("feeds at least twice within the driver's timeout that sysfs tells, whatever the interval", async () => {
    const b = new Bed({
      web: { type: "longrun", run: "exec sleep 1000" },
      watchdog: { type: "longrun", run: "exec limen watchdog dev/watchdog 0 5000 web" },
    });
    bed = b;
    mkdirSync(b.path("dev"));
    mkdirSync(b.path("sys/class/watchdog/watchdog0"), { recursive: true });
    writeFileSync(b.path("sys/class/watchdog/watchdog0/timeout"), "1\n");
    expect(spawnSync("mkfifo", [b.path("dev/watchdog")]).status).toBe(0);
    let received = "";
    reader = createReadStream(b.path("dev/watchdog"), { encoding: "utf8" });
    reader.on("data", (d) => (received += String(d)));
    await b.start();
    expect(b.svc("boot").code).toBe(0);
    await settle(2000);
    expect(received.length).toBeGreaterThanOrEqual(3);
    const log = b.svc("log", "watchdog").stdout;
    expect(log).toContain(
      "an interval of 5000 ms is not well below the watchdog's timeout of 1000 ms: feeding every 500 ms instead",
    );
    expect(log).toContain(
      "feeding dev/watchdog (timeout 1000 ms) every 500 ms; watching web after a head start of 0 ms",
    );
  });

  it("fails clearly when the device is missing or a service is unknown", () => {
    const b = new Bed({ web: { type: "longrun" } });
    bed = b;
    const run = (...args: string[]) => spawnSync("limen", ["watchdog", ...args], { env: b.env, encoding: "utf8" });
    let r = run("/nonexistent/watchdog", "0", "100", "web");
    expect(r.status).toBe(111);
    expect(r.stderr).toBe(
      "watchdog: cannot open /nonexistent/watchdog: No such file or directory (is the watchdog driver loaded?)\n",
    );
    r = run("/dev/null", "0", "100", "nosuch");
    expect(r.status).toBe(100);
    expect(r.stderr).toContain(`watchdog: unknown service "nosuch"`);
  });
});
