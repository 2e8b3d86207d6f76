// A controller's transitions take svc's lock as svc does, making its state folder when no one has
// yet (a root that `svc init` or boot never prepared: the bench's, a hand-made one).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { layout } from "../../runtime/src/layout.ts";
import { databaseVersion } from "../../runtime/src/svc/database.ts";
import { binaryPath } from "../lib/runtime.ts";
import { serviceEntry } from "../engine/service-entry.ts";

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let root = "";
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("a controller in a root without svc's state folder", () => {
  it("makes the folder, takes the lock and keeps running", async () => {
    root = mkdtempSync(join(tmpdir(), "limen-lock-"));
    const device = layout(root);
    const oneshot = serviceEntry({ type: "oneshot", controlled: true, timeoutUp: 10_000, timeoutDown: 10_000 });
    mkdirSync(device.oneshot("a"), { recursive: true });
    writeFileSync(join(device.oneshot("a"), "up"), "#!/bin/sh\ntrue\n", { mode: 0o755 });
    writeFileSync(device.database, JSON.stringify({ version: databaseVersion, services: { a: oneshot } }));
    // an interface no machine has: ifwait stops `a` at once, through svc's transitions
    const child = spawn(binaryPath("x86_64"), ["ifwait", "lmnone0", "a"], {
      env: { ...process.env, LIMEN_ROOT: root },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    try {
      for (let i = 0; i < 100 && !existsSync(device.lock) && child.exitCode === null; i++) await settle(50);
      await settle(300);
      expect({ running: child.exitCode === null, lock: existsSync(device.lock), stderr }).toEqual({
        running: true,
        lock: true,
        stderr: "ifwait: lmnone0 absent: stopping a\n",
      });
    } finally {
      child.kill();
    }
  });
});
