// A compiled longrun under the real s6: s6-svscan starts it and its logger, the daemon's output
// reaches the logger prefixed with the service name, and readiness arrives on the notification fd.
import { execFile, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, longrun, sh } from "../../image/config/index.ts";
import { systemConfiguration } from "../../image/outputs/system-configuration.ts";
import { configurationEntries } from "../../image/rootfs/system.ts";
import { testDevice } from "./fixtures.ts";
import { layout } from "../../runtime/src/layout.ts";

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), "limen-s6-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("a compiled longrun under s6-svscan", () => {
  it("runs, logs through its s6-log consumer and notifies readiness", async () => {
    const name = `limen-test-${process.pid}`;
    const message = "hello from 'limen' $HOME";
    const daemon = longrun({ name, notificationFd: 5, run: sh`echo ${message}\necho >&5\nexec sleep 1000` });
    const sys = compile(evaluate(defineConfig({ services: { daemon } }), testDevice));
    mkdirSync(join(tmp, "system"));
    await systemConfiguration(sys, configurationEntries(sys), join(tmp, "system"));
    const scan = join(tmp, "scan");
    mkdirSync(scan);
    cpSync(layout(join(tmp, "system/root")).longrun(name), join(scan, name), { recursive: true });

    const svscan = spawn("s6-svscan", [scan], { stdio: ["ignore", "pipe", "inherit"] });
    let logged = "";
    svscan.stdout.on("data", (b: Buffer) => (logged += b.toString()));
    try {
      // s6-svwait needs the supervisor running; s6-svscan starts it shortly after it starts.
      for (let i = 0; ; i++) {
        const ok = await run("s6-svok", [join(scan, name)]).then(
          () => true,
          () => false,
        );
        if (ok) break;
        if (i === 200) throw new Error("s6-supervise did not start");
        await new Promise((r) => setTimeout(r, 50));
      }
      await run("s6-svwait", ["-U", "-t", "20000", join(scan, name)]);
      const { stdout } = await run("s6-svstat", [join(scan, name)]);
      expect(stdout).toMatch(/^up \(pid \d+.*ready/);
      for (let i = 0; i < 100 && !logged.includes(message); i++) await new Promise((r) => setTimeout(r, 50));
      expect(logged).toBe(`${name}: ${message}\n`);
    } finally {
      await run("s6-svscanctl", ["-t", scan]);
      await new Promise((r) => svscan.once("exit", r));
    }
  });
});
