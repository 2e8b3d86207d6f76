// secrets subscribe under real s6: a change of an output a service reads restarts that service
// (which renders its secret file again, with the new value) or signals it; other changes, and
// outputs vanishing and coming back the same, do nothing. Log lines never hold values.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, longrun, outputRef } from "../../image/config/index.ts";
import secrets from "../../services/secrets/index.ts";
import { testDevice } from "../config/fixtures.ts";
import { Bed } from "../svc/bed.ts";
import { layout } from "../../runtime/src/layout.ts";
import { settle, until } from "../lib/until.ts";

const onDevice = layout("");

describe("secrets subscriber", () => {
  const bed = new Bed({
    vault: {
      type: "oneshot",
      up: "output --set vault ssh/keys key-1 && output --set vault wifi/psk psk-1 && output --set vault other x-1",
    },
    // renders its secret at start, as a compiled run script does, and records what it got
    app: {
      type: "longrun",
      dependencies: ["vault"],
      outputRefs: [{ service: "vault", path: "ssh" }],
      run: `limen secrets render app || exit 1\necho "start $(cat "$LIMEN_ROOT${onDevice.secretsOf("app")}/keys")" >> events\nexec sleep 1000`,
      // as a compiled finish does: a refused render keeps it down
      finish: `[ ! -e ${onDevice.refusedOf("app").slice(1)} ] || exit 125`,
    },
    // a daemon that reloads on SIGHUP
    reloader: {
      type: "longrun",
      dependencies: ["vault"],
      outputRefs: [{ service: "vault", path: "wifi/psk" }],
      run: `trap 'echo hup >> events; kill $! 2>/dev/null' HUP\ntrap 'kill $!; exit 0' TERM\necho reloader-start >> events\nwhile :; do sleep 1000 & wait $!; done`,
    },
    restarter: { type: "longrun", run: "exec limen secrets subscribe vault app" },
    signaller: { type: "longrun", run: "exec limen secrets subscribe --signal hup vault reloader" },
  });
  const set = (key: string, value: string) =>
    expect(spawnSync("output", ["--set", "vault", key, value], { env: bed.env }).status).toBe(0);
  const events = () => `events: ${JSON.stringify(bed.events())}`;
  const count = (line: string) => bed.events().filter((e) => e === line).length;

  beforeAll(async () => {
    mkdirSync(bed.layout.secretSpecs, { recursive: true });
    writeFileSync(
      bed.layout.secretSpecOf("app"),
      JSON.stringify({
        version: 1,
        files: { keys: { uid: 0, gid: 0, mode: 0o400, parts: [{ service: "vault", path: "ssh/keys", as: "line" }] } },
      }),
    );
    await bed.start();
    expect(bed.svc("start", "app", "reloader", "restarter", "signaller").code).toBe(0);
    await until(
      "the services to start",
      () => count("start key-1") === 1 && count("reloader-start") === 1,
      10_000,
      events,
    );
    // the subscribers have read the outputs once they say nothing for a moment
    await settle(500);
  });
  afterAll(() => bed.stop());

  it("restarts a service whose output changed, and it starts with the new value", async () => {
    set("ssh/keys", "key-2");
    await until("app restarted with key-2", () => count("start key-2") === 1, 10_000, events);
    expect(readFileSync(join(bed.layout.secretsOf("app"), "keys"), "utf8")).toBe("key-2");
    const log = bed.svc("log", "restarter").stdout;
    expect(log).toContain("vault changed ssh: restarting app");
    expect(log).not.toContain("key-2");
    expect(count("hup")).toBe(0);
  });

  it("signals a service that asked for a signal instead, without restarting it", async () => {
    set("wifi/psk", "psk-2");
    await until("reloader to get SIGHUP", () => count("hup") === 1, 10_000, events);
    expect(bed.svc("log", "signaller").stdout).toContain("vault changed wifi/psk: sending HUP to reloader");
    expect(count("reloader-start")).toBe(1);
    expect(count("start key-2")).toBe(1);
  });

  it("leaves services alone when other outputs change, or outputs vanish and return the same", async () => {
    set("other", "x-2");
    rmSync(bed.layout.outputsOf("vault"), { recursive: true });
    await settle(300);
    set("ssh/keys", "key-2");
    set("wifi/psk", "psk-2");
    set("other", "x-3");
    // a change after them all shows the subscribers have seen the steps above
    set("ssh/keys", "key-3");
    await until("app restarted with key-3", () => count("start key-3") === 1, 10_000, events);
    expect(bed.events().filter((e) => e.startsWith("start"))).toEqual(["start key-1", "start key-2", "start key-3"]);
    expect(count("hup")).toBe(1);
  });

  it("restarts a service whose value was refused once the value changes", async () => {
    set("ssh/keys", "key-4\nand a line of its own");
    await until("app refused", () => bed.svc("status", "app").stdout.includes("refused:"), 10_000);
    expect(bed.svc("status", "app").stdout).toMatch(/^app down longrun /);
    set("ssh/keys", "key-4");
    await until("app restarted with key-4", () => count("start key-4") === 1, 10_000, events);
    expect(bed.svc("status", "app").stdout).toMatch(/^app up longrun /);
    expect(bed.svc("status", "app").stdout).not.toContain("refused");
  });

  it("refuses a subscription that does not fit the database, naming what is wrong", () => {
    const run = (...args: string[]) =>
      spawnSync("limen", ["secrets", "subscribe", ...args], { env: bed.env, encoding: "utf8" });
    let r = run("vault", "restarter");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("secrets: restarter reads no output of vault\n");
    r = run("vault", "nosuch");
    expect(r.stderr).toBe('secrets: unknown service "nosuch"\n');
    r = run("--signal", "winch", "vault", "reloader");
    expect(r.stderr).toBe('secrets: unknown action "winch" (restart or hup, int, quit, term, usr1, usr2, alrm)\n');
    expect(run("vault").status).toBe(100);
  });
});

describe("secrets.subscriber template", () => {
  const vault = longrun({ name: "vault", run: "exec fetch", outputs: ["psk"] });
  const reader = longrun({
    name: "reader",
    run: `exec reader --psk-file ${onDevice.secretsOf("reader")}/psk`,
    secrets: { psk: { content: outputRef(vault, "psk") } },
  });
  const other = longrun({ name: "other", run: "exec other" });

  it("runs the subscriber on the watched service and its readers, without depending on them", () => {
    const sub = secrets.svc.subscriber.build({ watch: vault, services: [reader], action: "hup" });
    const sys = compile(evaluate(defineConfig({ imports: [secrets], services: { vault, reader, sub } }), testDevice));
    expect(sys.database.services["secrets-subscriber"].dependencies).toEqual([]);
    // it acts on its readers but does not start them: boot does, as for any service
    expect(
      evaluate(defineConfig({ imports: [secrets], services: { vault, reader, sub } }), testDevice).defaultServices,
    ).toEqual(expect.arrayContaining(["vault", "reader", "secrets-subscriber"]));
    const run = sys.files.find((f) => f.path === `${onDevice.longrun("secrets-subscriber")}/run`);
    expect(run?.type === "file" && run.content).toContain("exec limen secrets subscribe --signal hup vault reader\n");
  });

  it("refuses a service that reads nothing of the watched one", () => {
    const sub = secrets.svc.subscriber.build({ watch: vault, services: [other] });
    expect(() => evaluate(defineConfig({ imports: [secrets], services: { vault, other, sub } }), testDevice)).toThrow(
      /service other reads no output of vault/,
    );
  });
});
