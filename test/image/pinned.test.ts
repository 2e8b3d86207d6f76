// The packages every build takes (the runtime's musl, kernel headers and engine source, the kernel
// source, the emulated devices' kernels) come at the versions build.lock.json pins, never at
// whatever the archive serves today.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDevice } from "../../image/config/load.ts";
import { projectRoot } from "../../image/lib/cache.ts";
import { sid } from "../../image/lib/debian.ts";
import { targets } from "../../runtime/build/targets.ts";

const work = mkdtempSync(join(tmpdir(), "limen-pinned-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Pins = Record<string, Record<string, { version: string; sha256: string }>>;
const committed = JSON.parse(readFileSync(join(projectRoot, "build.lock.json"), "utf8")) as Pins;

/** Runs `npx tsx ARGS` in the checkout with build.lock.json replaced by `pins`. */
function withPins(pins: Pins, args: string[]): { status: number | null; stderr: string; lock: Pins } {
  const file = join(work, `${Math.random().toString(36).slice(2)}.lock.json`);
  writeFileSync(file, JSON.stringify(pins));
  const r = spawnSync("npx", ["tsx", ...args], {
    cwd: projectRoot,
    env: { ...process.env, LIMEN_BUILD_LOCK: file },
    encoding: "utf8",
  });
  return { status: r.status, stderr: r.stderr, lock: JSON.parse(readFileSync(file, "utf8")) as Pins };
}

describe("build.lock.json", { timeout: 300_000 }, () => {
  it("pins musl, the kernel headers and qjs-src for every CPU, the kernel source and each emulated device's kernel", async () => {
    const pinned = Object.keys(committed.bookworm);
    for (const t of targets) {
      expect(pinned).toContain(`linux-libc-dev-${t.kernelHeaders}-cross`);
      expect(pinned).toContain(`musl-dev:${t.debArch ?? "mipsel"}`);
    }
    expect(pinned).toContain("linux-source-6.1");
    for (const d of ["qemu-aarch64", "qemu-armv7l", "qemu-mipsel"]) {
      const e = (await loadDevice(d)).emulator!;
      expect(pinned).toContain(`${e.kernelPackage}:${e.debianArch}`);
      expect(pinned.filter((p) => p.startsWith("linux-image-6.") && p.endsWith(`:${e.debianArch}`))).toHaveLength(1);
    }
    expect(Object.keys(committed.sid)).toEqual(["qjs-src"]);
  });

  it("stops the build when a pinned version is gone, with the pinned and available versions and the command that moves the pin", async () => {
    const available = await sid.versions("qjs-src");
    const r = withPins({ sid: { "qjs-src": { version: "0.0.1-1", sha256: "0".repeat(64) } } }, [
      "runtime/build/main.ts",
      "--cpu",
      "x86_64",
      "--quiet",
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`qjs-src 0\\.0\\.1-1, pinned in ${work}/\\w+\\.lock\\.json, `));
    expect(r.stderr).toContain(
      `is neither in the cache nor in sid any more (it has ${available.join(", ")}): \`npm run lock -- --update qjs-src\` pins the current one`,
    );
  });

  it("npm run lock -- --update moves a pin to the archive's current version", async () => {
    const r = withPins({ sid: { "qjs-src": { version: "0.0.1-1", sha256: "0".repeat(64) } } }, [
      "image/lock.ts",
      "--update",
      "qjs-src",
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const pin = r.lock.sid["qjs-src"];
    expect(await sid.versions("qjs-src")).toContain(pin.version);
    expect(pin.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
