// Kernel modules on kernels built from source: which Kconfig symbol builds a module, read from
// the real linux-source-6.1's kbuild files, and the check that what services declare is built in.
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, oneshot } from "../../image/config/index.ts";
import { loadConfig, loadDevice } from "../../image/config/load.ts";
import { configFragment, parseConfig } from "../../image/kernel/kconfig.ts";
import { checkBuiltIn, kbuildModules, sourceModules } from "../../image/kernel/modules.ts";
import { kernelSource } from "../../image/kernel/source.ts";
import { debianKernel } from "../../image/qemu/kernel.ts";

describe("kbuild lines", () => {
  it("give each object of an obj-$(CONFIG_…) line its symbol, across continuations, in lsmod's spelling", () => {
    const m = kbuildModules(
      [
        "obj-$(CONFIG_PPPOE) += pppox.o pppoe.o",
        "obj-$(CONFIG_CRYPTO_CRC32C)\t+= crc32c_generic.o",
        "obj-$(CONFIG_NF_CONNTRACK) := nf_conntrack.o \\",
        "\tsub/nf-defrag.o",
        "nf_tables-objs := nf_tables_core.o",
        "obj-y += built.o",
        "obj-$(CONFIG_PPPOE) += pppox.o",
      ].join("\n"),
    );
    expect(Object.fromEntries([...m].map(([k, v]) => [k, [...v]]))).toEqual({
      pppox: ["PPPOE"],
      pppoe: ["PPPOE"],
      crc32c_generic: ["CRYPTO_CRC32C"],
      nf_conntrack: ["NF_CONNTRACK"],
      nf_defrag: ["NF_CONNTRACK"],
    });
  });

  it(
    "of the real source name the symbol of the templates' modules and of what they need in Debian's kernel",
    { timeout: 300_000 },
    async () => {
      const modules = await sourceModules(await kernelSource());
      expect(modules.get("bridge")).toEqual(new Set(["BRIDGE"]));
      expect(modules.get("nft_chain_nat")).toEqual(new Set(["NFT_NAT"]));
      expect(modules.get("crc32c_generic")).toEqual(new Set(["CRYPTO_CRC32C"]));
      const debian = await debianKernel((await loadDevice("qemu-aarch64")).emulator!);
      // (a few of Debian's, l2tp_*, are built by computed symbols this reading does not follow)
      const names: string[] = [];
      for (const m of ["bridge", "nft_masq", "pppoe", "mac80211_hwsim", "tun", "veth", "softdog"]) {
        const found = await debian.withDependencies(m);
        names.push(...(found ?? []).map((k) => k.name));
      }
      expect(names.filter((n) => !modules.has(n))).toEqual([]);
    },
  );
});

describe("a kernel built from source", { timeout: 300_000 }, () => {
  it("must build in each module a service declares: rotuer's are, by its modules' Kconfig symbols", async () => {
    const system = compile(evaluate(await loadConfig("examples/rotuer.ts"), await loadDevice("gl-mt300n-v2")));
    expect(Object.values(system.database.services).flatMap((s) => s.kernelModules)).toContain("bridge");
    // the requested values are what Kconfig keeps (config.ts checks that), so they stand for the final ones
    const final = parseConfig(configFragment(system.kernel.config));
    const modules = await sourceModules(await kernelSource());
    expect(() => checkBuiltIn(system, modules, final)).not.toThrow();
    final.set("BRIDGE", "m");
    expect(() => checkBuiltIn(system, modules, final)).toThrow(
      /^service int\.bridge \(services\/profiles\/gateway\.ts:\d+\): kernel module bridge is not built into the kernel \(CONFIG_BRIDGE=m\): set it to "y" in kernel.config$/,
    );
  });

  it("refuses a module the source does not build, or one whose symbol is unset, naming service and module", async () => {
    const device = await loadDevice("gl-mt300n-v2");
    const modules = await sourceModules(await kernelSource());
    const check = (m: string) => () => {
      const system = compile(
        evaluate(
          defineConfig({ services: { t: oneshot({ name: "tunnel", up: "true", kernelModules: [m] }) } }),
          device,
        ),
      );
      checkBuiltIn(system, modules, parseConfig(configFragment(system.kernel.config)));
    };
    expect(check("tun")).toThrow(
      /^service tunnel \(\S+modules\.test\.ts:\d+\): kernel module tun is not built into the kernel \(CONFIG_TUN=\(unset\)\)/,
    );
    expect(check("tunn")).toThrow(/^service tunnel \(\S+\): kernel module tunn is built by no Kconfig symbol/);
  });
});
