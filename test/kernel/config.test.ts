// The kernel configuration step on the real linux-source-6.1: requested options merged on the base,
// Kconfig's result checked, and each option Kconfig cannot honour named with the reason.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kernelArches } from "../../image/kernel/arch.ts";
import { KernelConfigError, makeConfig } from "../../image/kernel/config.ts";
import { configFragment, mismatches, parseConfig } from "../../image/kernel/kconfig.ts";
import { kernelSource } from "../../image/kernel/source.ts";

const work = mkdtempSync(join(tmpdir(), "limen-kconfig-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// one build folder for all: Kconfig's own programs are compiled once, each configuration starts anew from the base
async function configure(options: Record<string, string>): Promise<Map<string, string>> {
  return parseConfig(await makeConfig(await kernelSource(), kernelArches.aarch64, "tinyconfig", options, work));
}

async function rejection(options: Record<string, string>): Promise<KernelConfigError> {
  const e = await configure(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(KernelConfigError);
  return e as KernelConfigError;
}

describe(".config text", () => {
  it("writes requests as .config lines in one order and reads them back, 'is not set' as n", () => {
    const fragment = configFragment({ VIRTIO: "y", CMDLINE: '"a b"', BLOCK: "n" });
    expect(fragment).toBe('# CONFIG_BLOCK is not set\nCONFIG_CMDLINE="a b"\nCONFIG_VIRTIO=y\n');
    expect(configFragment({ BLOCK: "n", VIRTIO: "y", CMDLINE: '"a b"' })).toBe(fragment);
    expect([...parseConfig(`# comment\n${fragment}`)]).toEqual([
      ["BLOCK", "n"],
      ["CMDLINE", '"a b"'],
      ["VIRTIO", "y"],
    ]);
  });

  it("counts an option absent from .config as not set, and any other difference as a mismatch", () => {
    const final = parseConfig("CONFIG_A=y\nCONFIG_B=m\n");
    expect(mismatches({ A: "y", B: "y", C: "n", D: "y" }, final)).toEqual([
      { option: "B", requested: "y", got: "m" },
      { option: "D", requested: "y", got: undefined },
    ]);
  });
});

// the first run downloads and unpacks linux-source-6.1 (about 140 MB)
describe("kernel configuration (arm64, tinyconfig)", { timeout: 600_000 }, () => {
  it("keeps every requested value, overriding the base's choices, strings and numbers included", async () => {
    const final = await configure({
      NET: "y",
      NETDEVICES: "y",
      VIRTIO_MENU: "y",
      VIRTIO: "y",
      VIRTIO_NET: "y",
      PCI: "y",
      VIRTIO_PCI: "y",
      // tinyconfig chooses optimization for size; this choice must win
      CC_OPTIMIZE_FOR_PERFORMANCE: "y",
      CMDLINE: '"console=ttyAMA0 limen=1"',
      NR_CPUS: "4",
      MODULES: "y",
      DUMMY: "m",
      NETWORK_FILESYSTEMS: "n",
    });
    expect(final.get("VIRTIO_NET")).toBe("y");
    expect(final.get("VIRTIO_PCI")).toBe("y");
    expect(final.get("CC_OPTIMIZE_FOR_PERFORMANCE")).toBe("y");
    expect(final.get("CC_OPTIMIZE_FOR_SIZE")).toBe("n");
    expect(final.get("CMDLINE")).toBe('"console=ttyAMA0 limen=1"');
    expect(final.get("NR_CPUS")).toBe("4");
    expect(final.get("DUMMY")).toBe("m");
    expect(final.get("NETWORK_FILESYSTEMS") ?? "n").toBe("n");
    // and the base is really tinyconfig: no block layer unless asked for
    expect(final.get("BLOCK") ?? "n").toBe("n");
  });

  it("names each option Kconfig cannot honour: a missing dependency, an unknown name, another architecture's option", async () => {
    const e = await rejection({
      NET: "y",
      NETDEVICES: "y",
      VIRTIO_NET: "y",
      SQUASHFS: "y",
      BLOCK: "y",
      NO_SUCH_OPTION_LIMEN: "y",
      X86_MSR: "y",
      MEMCG: "y",
    });
    expect(e.problems).toHaveLength(5);
    const about = (option: string) =>
      e.problems.find((p) => p.startsWith(`CONFIG_${option}:`)) ?? `(nothing about ${option} in:\n${e.message})`;
    // VIRTIO_NET needs VIRTIO, which nothing turned on
    expect(about("VIRTIO_NET")).toMatch(
      /^CONFIG_VIRTIO_NET: requested =y, it is absent from the final \.config: .*drivers\/net\/Kconfig:\d+ needs \(VIRTIO\).*VIRTIO=n/,
    );
    // SQUASHFS sits inside "if MISC_FILESYSTEMS" in fs/Kconfig, which sources its file
    expect(about("SQUASHFS")).toMatch(
      /fs\/squashfs\/Kconfig:\d+ needs .*\(MISC_FILESYSTEMS\).*BLOCK=y, MISC_FILESYSTEMS=n/,
    );
    // MEMCG is inside "if CGROUPS" of init/Kconfig, after help texts with lines that start "if" or say "depends on"
    expect(about("MEMCG")).toMatch(/init\/Kconfig:\d+ needs \(CGROUPS\) \[CGROUPS=n\]$/);
    expect(about("NO_SUCH_OPTION_LIMEN")).toMatch(/Linux has no such option/);
    expect(about("X86_MSR")).toMatch(/exists only for other architectures \(arch\/x86\/Kconfig\), not ARCH=arm64/);
    expect(e.message).toMatch(/does not honour 5 requested options/);
  });

  it("names a requested value Kconfig replaced, not only a dropped one", async () => {
    // MODULES off: a module request cannot stay a module
    const e = await rejection({ NET: "y", NETDEVICES: "y", MODULES: "n", DUMMY: "m" });
    expect(e.problems).toEqual([expect.stringMatching(/^CONFIG_DUMMY: requested =m, got =y/)]);
  });
});
