// Reproducible images: the same configuration built twice, each time by its own process with its
// own empty build cache (test/lib/rebuild.ts), gives the same bytes in every output file and the
// same runtime binary. hello-from-qemu for qemu-aarch64 shares only the downloaded Debian files
// (apt/); rotuer's firmware.bin for the gl-mt300n-v2 shares the kernel build too (with the unpacked
// kernel source it needs), as two cold kernel builds do not fit the suite's time: `npm run bench`
// checks that a kernel rebuilt from source is the same (test/bench/hardening.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { loadConfig, loadDevice } from "../../image/config/load.ts";
import { kernelForSystem } from "../../image/kernel/index.ts";
import { imageBuild } from "../lib/rebuild.ts";

const work = mkdtempSync(join(tmpdir(), "limen-reproducible-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// two cold builds of the runtime and the image: about a minute each on two cores
describe("hello-from-qemu for qemu-aarch64, built twice from empty caches", { timeout: 1_200_000 }, () => {
  it("gives byte-identical output files and runtime binaries", async () => {
    const image = { device: "qemu-aarch64", config: "examples/hello-from-qemu.ts", shared: ["apt"] };
    const [a, b] = [await imageBuild(work, "hello-a", image), await imageBuild(work, "hello-b", image)];
    console.log(`hello-from-qemu for qemu-aarch64, cold builds: ${a.seconds.toFixed(0)} s, ${b.seconds.toFixed(0)} s`);
    expect(Object.keys(a.files)).toEqual(
      expect.arrayContaining(["rootfs.squashfs", "initramfs.cpio.gz", "kernel", "run.sh", "runtime/aarch64"]),
    );
    expect(b.files).toEqual(a.files);
  });
});

// the kernel is built here first when the cache lacks it (20-30 min on two cores); then each build
// compiles the mipsel runtime and packs the image: 1-2 min each on two cores (9 min on a busy machine)
describe("rotuer for gl-mt300n-v2, built twice sharing only the kernel build", { timeout: 60 * 60_000 }, () => {
  it("gives byte-identical firmware.bin, squashfs, uImage, device tree, flash script and runtime binary", async () => {
    const device = "gl-mt300n-v2";
    const config = "examples/rotuer.ts";
    const kernel = await kernelForSystem(compile(evaluate(await loadConfig(config), await loadDevice(device))));
    const key = basename(kernel.dir);
    const image = {
      device,
      config,
      shared: ["apt", "kernel-source", `kernel/${key}`],
      // each build settles the kernel configuration itself: one that differs would start a cold kernel build
      watch: (line: string) => {
        const built = /kernel: \S+ build (\w+)$/.exec(line)?.[1];
        return built && built !== key
          ? `its kernel configuration differs from the shared build's: kernel ${built}, not ${key}`
          : null;
      },
    };
    const [a, b] = [await imageBuild(work, "rotuer-a", image), await imageBuild(work, "rotuer-b", image)];
    console.log(
      `rotuer for ${device}, builds with the kernel cached: ${a.seconds.toFixed(0)} s, ${b.seconds.toFixed(0)} s`,
    );
    expect(Object.keys(a.files)).toEqual(
      expect.arrayContaining([
        "firmware.bin",
        "rootfs.squashfs",
        "kernel.uimage",
        "board.dtb",
        "flash.scr",
        "layout.json",
        "manifest",
        "runtime/mipsel",
      ]),
    );
    expect(b.files).toEqual(a.files);
  });
});
