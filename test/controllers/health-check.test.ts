// The health-check template and its controller against real s6: the wrapped longrun is started
// and checked only once up and ready, and restarted exactly when more than `threshold` checks in
// a row failed.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, longrun, oneshot } from "../../image/config/index.ts";
import healthCheck from "../../services/health-check/index.ts";
import { testDevice } from "../config/fixtures.ts";
import { Bed } from "../svc/bed.ts";
import { layout } from "../../runtime/src/layout.ts";
import { settle, until } from "../lib/until.ts";

const onDevice = layout("");

describe("health-check template", () => {
  it("compiles to a controller that controls the wrapped longrun, which leaves the default set", () => {
    const web = longrun({ name: "web", run: "exec httpd -f" });
    const site = oneshot({ name: "site", up: "true", dependencies: [web] });
    const hc = healthCheck.svc["health-check"].build({
      service: web,
      healthCheck: "wget -q -O /dev/null http://127.0.0.1/",
      interval: 30,
      threshold: 3,
    });
    const sys = compile(evaluate(defineConfig({ imports: [healthCheck], services: { hc, site } }), testDevice));
    expect(sys.database.services["web"].controlled).toBe(true);
    expect(sys.database.services["web.health"].dependencies).toEqual([]);
    expect(sys.defaultServices.sort()).toEqual(["web.health"]);
    const run = sys.files.find((f) => f.path === `${onDevice.longrun("web.health")}/run`);
    expect(run && "content" in run ? run.content : "").toContain(
      "exec limen health-check web 30000 3 30000 'wget -q -O /dev/null http://127.0.0.1/'",
    );
  });

  it("refuses to wrap anything but a longrun, naming it", () => {
    const once = oneshot({ name: "once", up: "true" });
    const hc = healthCheck.svc["health-check"].build({ service: once, healthCheck: "true" });
    expect(() => evaluate(defineConfig({ imports: [healthCheck], services: { hc } }), testDevice)).toThrow(
      /once is a oneshot: a health check restarts longruns only/,
    );
  });
});

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.stop();
  bed = null;
});

/**
 * A controlled longrun that becomes ready 0.6 s after it starts, its health check (failing while
 * the file `fails` holds a count above 0) every 300 ms, and the controller with `threshold`.
 */
async function checked(threshold: number, fails: number): Promise<Bed> {
  bed = new Bed({
    web: {
      type: "longrun",
      controlled: true,
      notificationFd: 3,
      run: `echo "run" >> events; sleep 0.6; echo "ready" >> events; echo >&3; exec sleep 1000`,
    },
    "web.health": { type: "longrun", run: `exec limen health-check web 300 ${threshold} 2000 'sh check.sh'` },
    // needs the controlled service: up when the controller brought that up
    site: { type: "oneshot", dependencies: ["web"], up: "true" },
  });
  writeFileSync(bed.path("fails"), `${fails}\n`);
  writeFileSync(
    bed.path("check.sh"),
    `n=$(cat fails)\nif [ "$n" -gt 0 ]; then echo $((n-1)) > fails; echo "check fail" >> events; exit 1; fi\necho "check ok" >> events\n`,
  );
  await bed.start();
  expect(bed.svc("boot").code).toBe(0);
  return bed;
}

async function events(b: Bed, count: number): Promise<string[]> {
  await until(
    `${count} events`,
    () => b.events().length >= count,
    15_000,
    () => b.events().join("\n"),
  );
  return b.events();
}

describe("health-check controller", () => {
  it("starts the service and what needs it, checks only once it is ready, and tolerates exactly `threshold` failures", async () => {
    const b = await checked(2, 2);
    const ev = await events(b, 7);
    expect(ev.slice(0, 7)).toEqual(["run", "ready", "check fail", "check fail", "check ok", "check ok", "check ok"]);
    expect(b.svc("list").stdout).toBe("site\nweb\nweb.health\n");
  });

  it("restarts the service through s6 after threshold + 1 failures in a row, waits for it to be ready, and counts again", async () => {
    const b = await checked(2, 3);
    const ev = await events(b, 9);
    expect(ev.slice(0, 9)).toEqual([
      "run",
      "ready",
      "check fail",
      "check fail",
      "check fail",
      "run",
      "ready",
      "check ok",
      "check ok",
    ]);
    // restarted by s6, not by svc: still up for svc
    expect(JSON.parse(b.svc("status", "--json", "web").stdout)).toMatchObject({ state: "up", ready: true });
    expect(b.svc("log", "web.health").stdout).toContain("web: 3 failed checks in a row: restarting it");
  });

  it("keeps restarting a service that stays unhealthy, after every threshold + 1 failures", async () => {
    const b = await checked(1, 1000);
    const ev = await events(b, 12);
    expect(ev.slice(0, 12)).toEqual([
      "run",
      "ready",
      "check fail",
      "check fail",
      "run",
      "ready",
      "check fail",
      "check fail",
      "run",
      "ready",
      "check fail",
      "check fail",
    ]);
  });

  it("does not start a service someone stopped, and checks it again once it is back", async () => {
    const b = await checked(5, 0);
    await events(b, 3);
    expect(b.svc("stop", "web").code).toBe(0);
    const before = b.events().length;
    await settle(1000);
    expect(b.events().length).toBe(before);
    expect(b.svc("list").stdout).toBe("web.health\n");
    expect(b.svc("start", "web").code).toBe(0);
    const ev = await events(b, before + 3);
    expect(ev.slice(before, before + 3)).toEqual(["run", "ready", "check ok"]);
  });

  it("fails clearly on a service it cannot wrap", () => {
    bed = new Bed({ once: { type: "oneshot", controlled: true } });
    const r = spawnSync("limen", ["health-check", "once", "300", "1", "300", "true"], {
      env: bed.env,
      encoding: "utf8",
    });
    expect(r.status).toBe(100);
    expect(r.stderr).toContain('health-check: service "once" is a oneshot; this controller takes longrun services');
    const bad = spawnSync("limen", ["health-check", "nope", "x", "1", "300", "true"], {
      env: bed.env,
      encoding: "utf8",
    });
    expect(bad.status).toBe(100);
    expect(bad.stderr).toContain('INTERVAL must be a whole number of milliseconds >= 0, got "x"');
  });
});
