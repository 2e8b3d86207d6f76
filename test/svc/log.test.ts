// The collated log: every service's lines in /run/log/current through s6-log, stamped TAI64N and
// prefixed with the service name; `svc log` shows them with readable time, as s6-tai64nlocal does.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed } from "./bed.ts";
import { settle, until } from "../lib/until.ts";

describe("the collated log", () => {
  const bed = new Bed({
    talker: { type: "longrun", run: `echo "hello from talker"; echo "to stderr" >&2; exec sleep 1000` },
    // a logger as the configuration compiler writes it, with a colon after the name
    own: { type: "longrun", run: `echo "own logger"; exec sleep 1000`, log: "exec s6-log -- pown: 1" },
    setup: { type: "oneshot", up: `echo "hello from $SERVICE"` },
    // 1500 lines of 80 bytes: more than the 100 kB at which s6-log rotates \`current\`
    chatty: {
      type: "oneshot",
      up: `i=0; while [ $i -lt 1500 ]; do printf "line %05d %070d\\n" $i 0; i=$((i+1)); done`,
    },
  });
  const current = (): string =>
    existsSync(join(bed.layout.log, "current")) ? readFileSync(join(bed.layout.log, "current"), "utf8") : "";
  beforeAll(async () => {
    await bed.start();
    expect(bed.svc("start", "talker", "setup", "own").code).toBe(0);
    const all = ["to stderr", "hello from setup", "own logger"];
    await until(
      "every service's first lines in the log",
      () => all.every((l) => current().includes(l)),
      5_000,
      current,
    );
  });
  afterAll(() => bed.stop());

  it("holds each service's lines with a TAI64N stamp and the service name", () => {
    const lines = current().trim().split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/^@[0-9a-f]{24} talker hello from talker$/));
    expect(lines).toContainEqual(expect.stringMatching(/^@[0-9a-f]{24} talker to stderr$/));
    expect(lines).toContainEqual(expect.stringMatching(/^@[0-9a-f]{24} setup hello from setup$/));
  });

  it("is shown by svc log with the same readable UTC time as s6-tai64nlocal", () => {
    const r = bed.svc("log");
    expect(r.code).toBe(0);
    const reference = spawnSync("s6-tai64nlocal", {
      input: current(),
      encoding: "utf8",
      env: { ...process.env, TZ: "UTC" },
    }).stdout;
    expect(r.stdout).toBe(reference);
    const stamp = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.\d{9} talker hello from talker$/m.exec(r.stdout);
    expect(stamp).not.toBeNull();
    expect(Math.abs(Date.parse(`${stamp![1].replace(" ", "T")}Z`) - Date.now())).toBeLessThan(60_000);
  });

  it("is filtered to one service by svc log NAME", () => {
    const lines = bed.svc("log", "setup").stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} setup hello from setup$/);
    expect(JSON.parse(bed.svc("log", "--json", "talker").stdout)).toHaveLength(2);
    expect(bed.svc("log", "own").stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} own: own logger\n$/);
  });

  it("rotates by size, and svc log reads the archives before current, in order", async () => {
    expect(bed.svc("start", "chatty").code).toBe(0);
    const lines = (): string[] => bed.svc("log", "chatty").stdout.trim().split("\n");
    await until("1500 lines of chatty", () => lines().length >= 1500, 5_000);
    expect(readdirSync(bed.layout.log).filter((f) => /^@[0-9a-f]{24}\.s$/.test(f)).length).toBeGreaterThan(0);
    const numbers = lines().map((l) => Number(/ chatty line (\d{5}) 0{70}$/.exec(l)?.[1]));
    expect(numbers).toEqual(Array.from({ length: 1500 }, (_, i) => i));
  });
});

describe("a oneshot's output when no logger runs", () => {
  const bed = new Bed({
    loud: { type: "oneshot", up: `i=0; while [ $i -lt 1000 ]; do printf "loud %05d %090d\\n" $i 0; i=$((i+1)); done` },
  });
  afterAll(() => bed.stop());

  it("goes to svc's stderr instead of filling the FIFO nobody reads", () => {
    expect(bed.svc("init").code).toBe(0); // makes the FIFO; no s6-svscan, no catch-all logger
    const r = bed.svc("start", "loud");
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1000);
    expect(lines[999]).toBe(`loud 00999 ${"0".repeat(90)}`);
  });
});

describe("the catch-all logger's settings (logging.directory and logging.script)", () => {
  const bed = new Bed({ talker: { type: "longrun", run: `echo "hello from talker"; exec sleep 1000` } });
  // as the configuration compiler writes them: no t directive, so no stamps
  writeFileSync(
    bed.path("etc/limen/logging.json"),
    JSON.stringify({ version: 1, directory: "/var/log/all", script: ["s4096", "n2"] }),
  );
  afterAll(() => bed.stop());

  it("put the log in the folder given, written by the script given, where svc log reads it", async () => {
    await bed.start();
    expect(bed.svc("start", "talker").code).toBe(0);
    const current = bed.path("var/log/all/current");
    const text = (): string => (existsSync(current) ? readFileSync(current, "utf8") : "");
    for (let i = 0; i < 100 && !text().includes("hello from talker"); i++) await settle(50);
    expect(text()).toMatch(/^talker hello from talker$/m);
    expect(existsSync(bed.path("run/log"))).toBe(false);
    expect(bed.svc("log", "talker").stdout).toBe("talker hello from talker\n");
  });

  it("are refused when malformed, naming the file", () => {
    writeFileSync(bed.path("etc/limen/logging.json"), JSON.stringify({ version: 1, directory: "x", script: [] }));
    const r = bed.svc("log");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/etc\/limen\/logging\.json: directory must be an absolute path/);
  });
});

describe("logread", () => {
  const bed = new Bed({
    talker: { type: "longrun", run: `echo "hello from talker"; exec sleep 1000` },
    setup: { type: "oneshot", up: `echo "hello from $SERVICE"` },
    // as in the rotation test above: more than the 100 kB at which s6-log rotates `current`
    chatty: {
      type: "oneshot",
      up: `i=0; while [ $i -lt 1500 ]; do printf "line %05d %070d\\n" $i 0; i=$((i+1)); done`,
    },
    late: { type: "oneshot", up: `echo "after the rotation"` },
  });
  const logread = (...args: string[]) =>
    spawnSync("logread", args, { env: bed.env, encoding: "utf8", timeout: 30_000 });
  beforeAll(async () => {
    await bed.start();
    expect(bed.svc("start", "talker", "setup").code).toBe(0);
    await until("both services' lines", () => bed.svc("log").stdout.includes("hello from setup"), 5_000);
  });
  afterAll(() => bed.stop());

  it("prints what svc log prints, and with -e only the lines matching", () => {
    const all = logread();
    expect(all.status).toBe(0);
    expect(all.stdout).toBe(bed.svc("log").stdout);
    expect(all.stdout).toMatch(/ talker hello from talker\n/);
    const some = logread("-e", "^\\S+ \\S+ setup ");
    expect(some.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} setup hello from setup\n$/);
  });

  it("refuses what it does not know, and a bad pattern, with its usage", () => {
    for (const args of [["-x"], ["-e"], ["-e", "("]]) {
      const r = logread(...args);
      expect(r.status).toBe(100);
      expect(r.stderr).toMatch(/^logread: .*\nusage: logread \[-f\] \[-e PATTERN\]/);
    }
  });

  it("follows with -f, across a rotation, each line once and in order, filtered by -e", async () => {
    const follower = spawn("logread", ["-f", "-e", " (chatty|late) "], { env: bed.env });
    let out = "";
    follower.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      // what is in the log already (nothing of chatty's yet) is printed first
      await settle(300);
      expect(out).toBe("");
      expect(bed.svc("start", "chatty").code).toBe(0);
      expect(bed.svc("start", "late").code).toBe(0);
      await until(
        "the line after the rotation",
        () => out.includes("after the rotation"),
        10_000,
        () => out,
      );
      expect(readdirSync(bed.layout.log).filter((f) => /^@[0-9a-f]{24}\.s$/.test(f)).length).toBeGreaterThan(0);
      const lines = out.trim().split("\n");
      const numbers = lines.slice(0, -1).map((l) => Number(/ chatty line (\d{5}) 0{70}$/.exec(l)?.[1]));
      expect(numbers).toEqual(Array.from({ length: 1500 }, (_, i) => i));
      expect(lines.at(-1)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} late after the rotation$/);
    } finally {
      follower.kill();
    }
  });
});
