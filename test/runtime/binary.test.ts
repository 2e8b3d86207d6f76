// The limen executables as a user meets them: one static file per CPU, run natively or under qemu-user.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binaryPath, runBinary, targets } from "../lib/runtime.ts";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};
const selftestChecks = ["engine", "errors", "inotify", "unix-socket", "new-session", "exec-failure"];

describe.each(targets)("limen for $cpu", (t) => {
  it("is a static executable for the right machine and byte order", () => {
    const out = spawnSync("file", ["-b", binaryPath(t.cpu)], { encoding: "utf8" }).stdout;
    expect(out).toMatch(t.fileMachine);
    expect(out).toContain("statically linked");
  });

  it("prints its version, the engine version and its CPU", () => {
    const r = runBinary(t, ["--version"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(
      new RegExp(`^limen ${version.replaceAll(".", "\\.")} \\(QuickJS-ng \\d+\\.\\d+\\.\\d+, ${t.cpu}\\)$`),
    );
  });

  it("passes its selftest", () => {
    const r = runBinary(t, ["selftest"]);
    expect(r.stdout.trim().split("\n")).toEqual([...selftestChecks.map((c) => `ok ${c}`), "selftest passed"]);
    expect(r.code).toBe(0);
  });
});

describe("command dispatch", () => {
  const host = targets.find((t) => t.cpu === "x86_64")!;

  it("rejects an unknown command with usage and exit status 100", () => {
    const r = runBinary(host, ["frobnicate"]);
    expect(r.code).toBe(100);
    expect(r.stderr).toContain('limen: unknown command "frobnicate"');
    expect(r.stderr).toContain("usage: limen <command>");
    expect(r.stdout).toBe("");
  });

  it("rejects a missing command", () => {
    const r = runBinary(host, []);
    expect(r.code).toBe(100);
    expect(r.stderr).toContain("no command given");
  });

  it("takes the command from argv[0] when started through a symlink", () => {
    const dir = mkdtempSync(join(tmpdir(), "limen-argv0-"));
    try {
      symlinkSync(binaryPath("x86_64"), join(dir, "selftest"));
      const r = runBinary(host, ["engine"], { path: join(dir, "selftest") });
      expect(r.stdout.trim().split("\n")).toEqual(["ok engine", "selftest passed"]);
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("reports a failing selftest check by name and exits 1", () => {
    // an unwritable TMPDIR makes the checks that need scratch files fail, and say so
    const r = spawnSync(binaryPath("x86_64"), ["selftest", "inotify"], {
      encoding: "utf8",
      env: { ...process.env, TMPDIR: "/nonexistent" },
    });
    expect(r.stdout).toMatch(/^FAIL inotify: mkdir \/nonexistent\/limen-selftest-\d+: No such file or directory$/m);
    expect(r.stdout).toContain("selftest: 1 check(s) failed");
    expect(r.status).toBe(1);
  });
  it("ends a command whose work fails unexpectedly with one line naming it, exit status 111", () => {
    // a controller started before svc's database is there (or with it gone): no stack trace
    const root = mkdtempSync(join(tmpdir(), "limen-noroot-"));
    try {
      for (const argv of [
        ["ifwait", "lo", "web"],
        ["uevent-rule", "web", "subsystem=block"],
      ]) {
        const r = spawnSync(binaryPath("x86_64"), argv, {
          encoding: "utf8",
          env: { ...process.env, LIMEN_ROOT: root },
        });
        expect(r.stderr).toBe(`${argv[0]}: service database: cannot read ${root}/etc/limen/services.json\n`);
        expect(r.status).toBe(111);
      }
    } finally {
      rmSync(root, { recursive: true });
    }
  });
});
