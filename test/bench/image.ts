// Image benchmark: hello-from-qemu for qemu-aarch64 — a rebuild with nothing changed (target
// ≤ 10 s), boot under TCG until every default service is up, and what the image weighs; and
// examples/rotuer.ts for the gl-mt300n-v2 — firmware.bin against its 16 MB NOR flash (target:
// at least 3 MiB of the firmware partition left free). Smoke mode skips both, saying so: each
// builds an image (and the first boots it).
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage } from "../../image/build.ts";
import type { MtdLayout } from "../../image/outputs/mtdimage.ts";
import { Vm } from "../../image/qemu/vm.ts";
import { smoke } from "./common.ts";

const warmRebuildLimitSeconds = 10;
const norFreeGoalBytes = 3 * 2 ** 20;
const device = "qemu-aarch64";
const config = "examples/hello-from-qemu.ts";

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "limen-bench-image-"));
  const out = join(dir, "result");
  const quiet = { device, config, out, progress: () => {} };
  try {
    await buildImage(quiet);
    const started = Date.now();
    const { system } = await buildImage(quiet);
    const rebuild = (Date.now() - started) / 1000;

    const vm = new Vm(out, ["--access", "230.0.0.1:23451", "--lan", "230.0.0.1:23452"]);
    const bootStart = Date.now();
    let boot: number;
    try {
      await vm.start();
      await vm.login(system.hostname, "root", "secret");
      const loginAt = (Date.now() - bootStart) / 1000;
      await vm.servicesUp(system.defaultServices);
      boot = (Date.now() - bootStart) / 1000;
      console.log(`image benchmark: ${config} for ${device}\n`);
      console.log(
        `warm rebuild            ${rebuild.toFixed(1)} s (target <= ${warmRebuildLimitSeconds} s: ${rebuild <= warmRebuildLimitSeconds ? "ok" : "MISSED"})`,
      );
      console.log(`boot to login prompt    ${loginAt.toFixed(1)} s under TCG`);
      console.log(`boot to all services up ${boot.toFixed(1)} s under TCG (${system.defaultServices.length} services)`);
    } finally {
      await vm.stop();
    }
    const size = (f: string) => statSync(join(out, f)).size;
    console.log(
      `\nkernel ${(size("kernel") / 1e6).toFixed(2)} MB, initramfs ${(size("initramfs.cpio.gz") / 1e3).toFixed(0)} kB, root squashfs ${(size("rootfs.squashfs") / 1e6).toFixed(2)} MB`,
    );
    const manifest = readFileSync(join(out, "manifest"), "utf8").trim().split("\n");
    console.log(`root filesystem: ${manifest[0].replace(/^# /, "")}; the ten largest files:`);
    for (const line of manifest.slice(1, 11)) {
      const [bytes, path, pkg] = line.split("\t");
      console.log(`  ${(Number(bytes) / 1e3).toFixed(0).padStart(6)} kB  ${path.padEnd(52)} ${pkg}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** rotuer (with the squashfs root NOR flash takes) as firmware.bin for the gl-mt300n-v2. */
async function nor(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "limen-bench-nor-"));
  const out = join(dir, "result");
  try {
    const started = Date.now();
    await buildImage({
      device: "gl-mt300n-v2",
      config: "examples/rotuer.ts",
      output: "mtdimage",
      out,
      progress: () => {},
    });
    const seconds = (Date.now() - started) / 1000;
    const l = JSON.parse(readFileSync(join(out, "layout.json"), "utf8")) as MtdLayout;
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
    const flash = l.partitions.reduce((end, p) => Math.max(end, p.offset + p.size), 0);
    console.log(
      `\nNOR image benchmark: examples/rotuer.ts (squashfs root) for gl-mt300n-v2, built in ${seconds.toFixed(1)} s\n`,
    );
    console.log(
      `flash ${mib(flash)}: boot loader, its environment and factory data ${mib(l.firmware.offset)}, firmware partition ${mib(l.firmware.size)}`,
    );
    console.log(`kernel (lzma uImage, DTB appended) ${mib(l.kernel.size)}, ${mib(l.kernel.padded)} in erase blocks`);
    console.log(`root squashfs                      ${mib(l.rootfs.size)}, ${mib(l.rootfs.padded)} in erase blocks`);
    console.log(
      `firmware.bin                       ${mib(l.imageSize)} of ${mib(l.firmware.size)}: ${mib(l.free)} free (goal >= ${mib(norFreeGoalBytes)}: ${l.free >= norFreeGoalBytes ? "ok" : "MISSED"})`,
    );
    const manifest = readFileSync(join(out, "manifest"), "utf8").trim().split("\n");
    console.log(`root filesystem: ${manifest[0].replace(/^# /, "")}; the five largest files:`);
    for (const line of manifest.slice(1, 6)) {
      const [bytes, path, pkg] = line.split("\t");
      console.log(`  ${(Number(bytes) / 1e3).toFixed(0).padStart(6)} kB  ${path.padEnd(52)} ${pkg}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (smoke) {
  console.log("image benchmark: skipped in smoke mode (it builds an image and boots it under QEMU)");
  console.log("NOR image benchmark: skipped in smoke mode (it builds an image)");
} else {
  await main();
  await nor();
}
