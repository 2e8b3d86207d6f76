// Where code and tests may reach. The fast tier (vitest.config.ts's fastFolders) holds no QEMU
// boot, kernel build or image build: a file there, or a test helper it imports, that reaches for
// one fails here and belongs in another folder. And image/ never imports runtime/build, except the
// image build calling the runtime build through its entry point.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../image/lib/cache.ts";
import { fastFolders } from "../../vitest.config.ts";

const selfFile = relative(projectRoot, import.meta.filename);
const importRe = /^\s*(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"|import\("(\.[^"]+)"\)/gm;

function files(dir: string, ext = ".ts"): string[] {
  return readdirSync(join(projectRoot, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => relative(projectRoot, join(e.parentPath, e.name)));
}

/** A file's relative imports, as paths from the project root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(projectRoot, file), "utf8");
  return [...text.matchAll(importRe)].map((m) =>
    relative(projectRoot, resolve(projectRoot, dirname(file), m[1] ?? m[2])),
  );
}

/** Modules that build an image or a kernel, or boot QEMU: none may load in the fast tier. */
const slow = [
  "image/build.ts",
  "image/kernel/build.ts",
  "image/kernel/index.ts",
  "image/qemu/vm.ts",
  "image/qemu/busybox-guest.ts",
  "test/lib/uboot.ts",
];

describe("the fast tier", () => {
  const fast = fastFolders.flatMap((f) => files(`test/${f}`).filter((p) => p.endsWith(".test.ts")));

  it("is made of folders that exist and hold tests", () => {
    for (const f of fastFolders) expect(existsSync(join(projectRoot, "test", f)), f).toBe(true);
    expect(fast.length).toBeGreaterThan(20);
  });

  it("loads no module that boots QEMU or builds an image or a kernel, through the test helpers too", () => {
    const offences: string[] = [];
    for (const test of fast) {
      // follow the test's imports inside test/, where helpers live
      const seen = new Set<string>();
      const visit = (file: string, via: string[]): void => {
        if (seen.has(file)) return;
        seen.add(file);
        if (slow.includes(file)) offences.push(`${[...via, file].join(" → ")}`);
        else if (file.startsWith("test/") && existsSync(join(projectRoot, file))) {
          if (file !== selfFile && /qemu-system-/.test(readFileSync(join(projectRoot, file), "utf8")))
            offences.push(`${file}: qemu-system-`);
          for (const i of importsOf(file)) visit(i, [...via, file]);
        }
      };
      visit(test, []);
    }
    expect(offences).toEqual([]);
  });
});

describe("folders", () => {
  it("image/ imports runtime/build only where the image build calls the runtime build", () => {
    const reaching = files("image").flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith("runtime/build/"))
        .map((i) => `${f} → ${i}`),
    );
    expect(reaching.filter((r) => !r.startsWith("image/build.ts → runtime/build/main.ts"))).toEqual([]);
  });
});
