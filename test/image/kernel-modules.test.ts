// The kernel modules services declare: recorded per service in the database, and shipped by the
// vmroot output with their dependencies and the table svc loads them by, from Debian's kernel.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, longrun, oneshot } from "../../image/config/index.ts";
import { loadDevice } from "../../image/config/load.ts";
import { ensureCommands } from "../../image/lib/host-programs.ts";
import { vmroot } from "../../image/outputs/vmroot.ts";
import type { TreeEntry } from "../../image/rootfs/tree.ts";
import { layout } from "../../runtime/src/layout.ts";
import { checkModuleTable } from "../../runtime/src/svc/kernel-modules.ts";
import bridge from "../../services/bridge/index.ts";
import firewall from "../../services/firewall/index.ts";
import hostapd from "../../services/hostapd/index.ts";
import network from "../../services/network/index.ts";
import { failure, testDevice } from "../config/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-kmods-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const routerConfig = defineConfig(() => {
  const lan = bridge.svc.primary.build({ ifname: "br0" });
  return {
    imports: [bridge, firewall, network],
    services: {
      lan,
      firewall: firewall.svc.firewall.build({ zones: { lan: [lan] } }),
      // built into Debian's kernel: in the table with nothing to load
      tap: oneshot({ name: "tap", up: "true", kernelModules: ["af_packet", "tun"] }),
    },
  };
});

async function system(config: ReturnType<typeof defineConfig>, device: string): Promise<SystemDescription> {
  return compile(evaluate(config, await loadDevice(device)));
}

async function built(sys: SystemDescription, name: string): Promise<TreeEntry[]> {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  return vmroot(sys, [], "/bin/true", out);
}

describe("a service's kernel modules", () => {
  it("are recorded in its database entry, from its template or its own parameters", async () => {
    const sys = await system(routerConfig, "qemu-aarch64");
    expect(sys.database.services["br0.bridge"].kernelModules).toEqual(["bridge"]);
    expect(sys.database.services["firewall"].kernelModules).toEqual([
      "crc32c_generic",
      "nf_tables",
      "nft_ct",
      "nft_chain_nat",
      "nft_masq",
      "nft_limit",
      "nft_objref",
    ]);
    expect(sys.database.services["tap"].kernelModules).toEqual(["af_packet", "tun"]);
    // the same names, whatever the kernel: a device built from source has them built in
    const belkin = await system(routerConfig, "belkin-rt3200");
    expect(belkin.database.services["br0.bridge"].kernelModules).toEqual(["bridge"]);
    expect(belkin.kernel.config).toMatchObject({ BRIDGE: "y", NF_TABLES: "y", NFT_MASQ: "y" });
  });

  it("are refused when not named as lsmod names them", () => {
    const e = failure(() =>
      compile(
        evaluate(
          defineConfig({ services: { d: longrun({ name: "d", run: "exec d", kernelModules: ["nf-tables"] }) } }),
          testDevice,
        ),
      ),
    );
    expect(e.path).toBe("services.d.kernelModules[0]");
    expect(e.problem).toMatch(/kernel module name/);
  });
});

describe("vmroot", { timeout: 300_000 }, () => {
  it("ships each module with its dependencies, first, and the table svc loads them by", async () => {
    const entries = await built(await system(routerConfig, "qemu-aarch64"), "aarch64");
    const tableEntry = entries.find((e) => e.path === layout("").kernelModules);
    if (tableEntry?.type !== "file" || !Buffer.isBuffer(tableEntry.content)) throw new Error("no module table");
    const table = checkModuleTable(JSON.parse(tableEntry.content.toString()), "test").modules;
    const release = /^\/lib\/modules\/([^/]+)\//.exec(table.bridge[0])![1];
    expect(release).toMatch(/^6\.1\.\d+-\d+-arm64$/);
    const names = (m: string) => table[m].map((f) => f.split("/").pop());
    expect(names("bridge")).toEqual(["llc.ko", "stp.ko", "bridge.ko"]);
    expect(names("crc32c_generic")).toEqual(["crc32c_generic.ko"]);
    expect(names("nf_tables")).toEqual(["nfnetlink.ko", "libcrc32c.ko", "nf_tables.ko"]);
    // dependencies before what needs them
    expect(names("nft_masq")).toEqual([
      "nfnetlink.ko",
      "libcrc32c.ko",
      "nf_tables.ko",
      "nf_defrag_ipv4.ko",
      "nf_defrag_ipv6.ko",
      "nf_conntrack.ko",
      "nf_nat.ko",
      "nft_masq.ko",
    ]);
    expect(table.af_packet).toEqual([]);
    expect(names("tun")).toEqual(["tun.ko"]);
    // every file the table names is in the root, once, from the kernel's package
    const files = new Set(Object.values(table).flat());
    const shipped = entries.filter((e) => e.path.startsWith("/lib/modules/"));
    expect(shipped.map((e) => e.path).sort()).toEqual([...files].sort());
    for (const e of shipped) {
      expect(e).toMatchObject({ type: "file", mode: 0o644 });
      expect(e.type === "file" && e.package).toMatch(/^linux-image-6\.1/);
    }
    // and they are in the squashfs image the guest mounts
    ensureCommands(["unsquashfs"]);
    const listing = execFileSync("unsquashfs", ["-l", "-d", "", join(dir, "aarch64", "rootfs.squashfs")], {
      encoding: "utf8",
    });
    for (const f of [...files, layout("").kernelModules]) expect(listing).toContain(`${f}\n`);
  });

  it("has the emulated radios' driver make one radio more than the configuration's links use", async () => {
    const oneAp = defineConfig(({ interfaces }) => ({
      imports: [hostapd, network],
      services: {
        ap: hostapd.svc.hostapd.build({
          interface: interfaces.wlan,
          params: { ssid: "one", hw_mode: "g", channel: 6 },
        }),
      },
    }));
    const entries = await built(await system(oneAp, "qemu-aarch64"), "radios");
    const tableEntry = entries.find((e) => e.path === layout("").kernelModules);
    if (tableEntry?.type !== "file" || !Buffer.isBuffer(tableEntry.content)) throw new Error("no module table");
    const table = checkModuleTable(JSON.parse(tableEntry.content.toString()), "test");
    expect(table.parameters).toEqual({ mac80211_hwsim: "radios=2" });
    // a system without radios gives the driver nothing
    const none = await built(await system(routerConfig, "qemu-aarch64"), "no-radios");
    const noneTable = none.find((e) => e.path === layout("").kernelModules);
    if (noneTable?.type !== "file" || !Buffer.isBuffer(noneTable.content)) throw new Error("no module table");
    expect(checkModuleTable(JSON.parse(noneTable.content.toString()), "test").parameters).toBeUndefined();
  });

  it("refuses a module the kernel has neither as a module nor built in, naming the service and the module", async () => {
    const sys = await system(
      defineConfig({ services: { d: oneshot({ name: "bad-bridge", up: "true", kernelModules: ["brige"] }) } }),
      "qemu-mipsel",
    );
    await expect(built(sys, "mipsel")).rejects.toThrow(
      /^service bad-bridge \(test\/image\/kernel-modules\.test\.ts:\d+\): kernel module brige is neither a module of Debian's kernel 6\.1\S+-4kc-malta nor built into it$/,
    );
  });
});
