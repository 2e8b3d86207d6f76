// Device-library tests (test/engine/) run inside the real engine, natively and on every router CPU.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../image/lib/cache.ts";
import { runBinary, targets } from "../lib/runtime.ts";

function testProgram(cpu: string): string {
  const path = join(projectRoot, "build", "test", `limen-test-${cpu}`);
  if (!existsSync(path))
    throw new Error(`${path} is missing: build it with \`npm run build -- --tests\` (npm test does)`);
  return path;
}

describe.each(targets)("engine tests on $cpu", (t) => {
  it("pass, every one, the same cases on every CPU", () => {
    const r = runBinary(t, [], { path: testProgram(t.cpu) });
    const lines = r.stdout.trim().split("\n");
    expect(lines.filter((l) => !l.startsWith("ok "))).toEqual([]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(lines).toContain("ok processes: gid and groups are set before uid");
    expect(lines).toContain("ok nativeCalls: inotify reports creation, then removal of a watched directory");
    expect(lines).toContain("ok processes: children awaited together end in their own order, each with its exit code");
    expect(lines).toContain("ok processes: lockFile waits while another process holds the lock");
    expect(lines).toContain("ok crypto: ecMulAdd: x·a + y·b and x·a + y·G on P-256, P-384 and P-521");
    expect(lines).toContain("ok crypto: aesGcmDecrypt opens what OpenSSL sealed and refuses any change");
    expect(lines).toContain(
      "ok jwe: jwe: a clevis tang file recovers through a blinded exchange with the server's key",
    );
    expect(lines).toContain("ok net: tcpConnect names the address it could not reach");
    if (t.qemu)
      expect(lines).toEqual(
        runBinary(targets[0], [], { path: testProgram(targets[0].cpu) })
          .stdout.trim()
          .split("\n"),
      );
  });
});
