// The one list of host programs: a program missing from PATH gives the exact line that installs
// its package (as a user who is not root), and every program the build derives from its tables is
// on the list, so the start-up check and .ci/run cover it.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kernelArches } from "../../image/kernel/arch.ts";
import { ensureCommands, hostPrograms, missingPackages } from "../../image/lib/host-programs.ts";
import { targets } from "../../runtime/build/targets.ts";

const bin = mkdtempSync(join(tmpdir(), "limen-host-programs-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
for (const p of ["gcc", "make"]) {
  writeFileSync(join(bin, p), "#!/bin/sh\n");
  chmodSync(join(bin, p), 0o755);
}
const user = { path: bin, uid: 1000 };

describe("the host program check", () => {
  it("passes when every program is on PATH", () => {
    expect(() => ensureCommands(["gcc", "make"], user)).not.toThrow();
  });

  it("names the packages of the missing programs in the exact line to run, each package once", () => {
    expect(() => ensureCommands(["gcc", "socat", "fdtput", "fdtget", "dtc"], user)).toThrow(
      "missing host programs; install them with:\n  sudo apt-get install -y --no-install-recommends device-tree-compiler socat",
    );
  });

  it("refuses a program that is not on the list rather than guessing its package", () => {
    expect(() => missingPackages(["no-such-program"], user)).toThrow(
      /no-such-program is not in image\/lib\/host-programs.ts/,
    );
  });

  it("checks a file entry by its path, not on PATH", () => {
    // the keyring the build itself needs, so present wherever the tests run
    expect(missingPackages(["/usr/share/keyrings/debian-archive-keyring.gpg"], { path: "", uid: 1000 })).toEqual([]);
    expect(missingPackages(["gcc"], { path: "", uid: 1000 })).toEqual(["gcc"]);
  });
});

describe("the list", () => {
  const packageOf = new Map(Object.entries(hostPrograms).map(([program, [pkg]]) => [program, pkg]));
  const listed = new Set(packageOf.keys());
  it("holds every target's cross compiler and qemu-user", () => {
    for (const t of targets) {
      if (t.cpu !== "x86_64") expect(listed).toContain(`${t.gnu}-gcc`);
      if (t.qemu) expect(listed).toContain(t.qemu);
    }
  });

  it("holds every kernel's cross compiler, under the package the kernel build names", () => {
    for (const a of Object.values(kernelArches)) {
      expect(packageOf.get(`${a.crossCompile}gcc`)).toBe(a.compilerPackage);
    }
  });
});
