// npm run image as a user calls it: the compiled description without building anything heavy,
// and clear errors that leave no result behind.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "limen-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function image(args: string[]) {
  return spawnSync("npx", ["tsx", "image/main.ts", ...args], { encoding: "utf8", timeout: 120_000 });
}

describe("npm run image", () => {
  it("--output manifest writes the compiled system description and nothing else", () => {
    const out = join(dir, "manifest");
    const r = image(["--device", "qemu-mipsel", "--config", "examples/demo.ts", "--output", "manifest", "--out", out]);
    expect(r.stderr).toContain(`the compiled system description is ${out}/system.json`);
    expect(r.status).toBe(0);
    const system = JSON.parse(readFileSync(join(out, "system.json"), "utf8")) as {
      device: { name: string };
      database: { services: Record<string, unknown> };
    };
    expect(system.device.name).toBe("qemu-mipsel");
    expect(Object.keys(system.database.services)).toContain("firewall");
    // it holds /etc/shadow's hashes: the builder's alone, and so is the folder
    expect((statSync(out).mode & 0o777).toString(8)).toBe("700");
    expect((statSync(join(out, "system.json")).mode & 0o777).toString(8)).toBe("600");
  });

  it("names a device that does not exist and leaves no result", () => {
    const out = join(dir, "missing-device");
    const r = image(["--device", "no-such-router", "--out", out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/device "no-such-router".*does not exist/);
    expect(existsSync(out)).toBe(false);
  });

  it("rejects an unknown output, naming the choices", () => {
    const r = image(["--output", "floppy", "--out", join(dir, "x")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--output");
    expect(r.stderr).toContain("vmroot");
  });

  it("--out replaces a previous result or an empty folder, and refuses any other existing folder, leaving it alone", () => {
    const out = join(dir, "again");
    const args = ["--config", "examples/demo.ts", "--output", "manifest", "--out", out];
    expect(image(args).status).toBe(0);
    writeFileSync(join(out, "left-over"), "");
    const again = image(args);
    expect(again.stderr).toContain("the compiled system description");
    expect(again.status).toBe(0);
    expect(existsSync(join(out, "left-over"))).toBe(false);

    const mine = join(dir, "my-folder");
    mkdirSync(mine);
    writeFileSync(join(mine, "thesis.tex"), "keep me");
    const r = image(["--config", "examples/demo.ts", "--output", "manifest", "--out", mine]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      `npm run image: --out ${mine}: exists and is not a result of npm run image (it has no .limen-result): name another folder, or remove it yourself`,
    );
    expect(readFileSync(join(mine, "thesis.tex"), "utf8")).toBe("keep me");

    // an empty folder holds nothing to lose (mkdir out, or a test's mkdtemp)
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(image(["--config", "examples/demo.ts", "--output", "manifest", "--out", empty]).status).toBe(0);
    expect(existsSync(join(empty, "system.json"))).toBe(true);
  });
});
