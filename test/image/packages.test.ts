// Programs from real Debian packages, shipped with exactly the libraries they load.
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig } from "../../image/config/module.ts";
import type { PackageEntry } from "../../image/config/options.ts";
import { bookworm } from "../../image/lib/debian.ts";
import { elfNeeds } from "../../image/packages/elf.ts";
import { PackageCollector, type ShippedFile } from "../../image/packages/collect.ts";
import { rootTree } from "../../image/rootfs/system.ts";
import { build as buildRuntime } from "../../runtime/build/main.ts";
import { testDevice } from "../config/fixtures.ts";

const triples = { arm64: "aarch64-linux-gnu", mipsel: "mipsel-linux-gnu" } as const;

/** Every soname an ELF file needs must be shipped in a directory the loader searches. */
async function unresolved(files: ShippedFile[], triple: string): Promise<string[]> {
  const paths = new Set(files.map((f) => f.path));
  const missing: string[] = [];
  for (const f of files) {
    if (!f.source) continue;
    const needs = await elfNeeds(f.source);
    for (const so of needs?.needed ?? []) {
      if (![`/lib/${triple}`, `/usr/lib/${triple}`].some((d) => paths.has(`${d}/${so}`)))
        missing.push(`${f.path} needs ${so}`);
    }
    if (needs?.interpreter && !paths.has(needs.interpreter)) missing.push(`${f.path} needs ${needs.interpreter}`);
  }
  return missing;
}

// the first run downloads and unpacks the packages: allow for a slow archive
describe.each(Object.entries(triples))("packages for %s", { timeout: 300_000 }, (arch, triple) => {
  it("ships dropbear and s6 with the libraries they load and nothing of their packages' other files", async () => {
    const c = new PackageCollector(arch as keyof typeof triples);
    const files = await c.collect([
      { package: "dropbear-bin", files: ["/usr/sbin/dropbear"] },
      { package: "s6", files: ["/usr/bin/s6-svscan"] },
    ]);
    expect(await unresolved(files, triple)).toEqual([]);
    const paths = files.map((f) => f.path);
    expect(paths).toContain("/usr/sbin/dropbear");
    expect(paths).toContain(`/lib/${triple}/libc.so.6`);
    expect(paths.filter((p) => p.startsWith("/usr/share") || p.startsWith("/etc"))).toEqual([]);
    // the soname is a symlink to the versioned file, as Debian has it
    const skarnet = files.find((f) => f.path === `/usr/lib/${triple}/libskarnet.so.2.13`);
    expect(skarnet?.link).toMatch(/^libskarnet\.so\.2\.13\.\d/);
    expect(files.find((f) => f.path === `/usr/lib/${triple}/${skarnet!.link}`)?.source).toBeDefined();
    for (const name of ["dropbear-bin", "s6", "libc6", "libskarnet2.13"]) {
      const locked = c.lock[`${name}:${arch}`];
      expect(locked?.version).toMatch(/^\S+$/);
      expect(locked?.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});

describe("package errors", { timeout: 300_000 }, () => {
  it("names an unknown package", async () => {
    await expect(
      new PackageCollector("arm64").collect([{ package: "no-such-package-limen", files: ["/bin/x"] }]),
    ).rejects.toThrow(/no-such-package-limen:arm64 is not in bookworm/);
  });

  it("names a file the package does not have", async () => {
    await expect(
      new PackageCollector("arm64").collect([{ package: "busybox", files: ["/bin/nonexistent"] }]),
    ).rejects.toThrow(/Debian package busybox \S+ \(arm64\) has no file \/bin\/nonexistent/);
  });

  it("refuses a package whose checksum differs from the lock file", async () => {
    const good = new PackageCollector("arm64");
    await good.collect([{ package: "busybox", files: ["/bin/busybox"] }]);
    const version = good.lock["busybox:arm64"].version;
    const tampered = new PackageCollector("arm64", { "busybox:arm64": { version, sha256: "0".repeat(64) } });
    await expect(tampered.collect([{ package: "busybox", files: ["/bin/busybox"] }])).rejects.toThrow(
      `busybox:arm64 ${version} (pinned in the lock file): ${join(bookworm.root, "archives", `busybox_${version.replace(":", "%3a")}_arm64.deb`)} has SHA256 ${good.lock["busybox:arm64"].sha256}, expected ${"0".repeat(64)}`,
    );
  });

  it("stops on a pinned version the archive no longer has, with the versions it has and the command that moves the pin", async () => {
    const available = await bookworm.versions("busybox:arm64");
    const gone = new PackageCollector(
      "arm64",
      { "busybox:arm64": { version: "0.0.1-1", sha256: "0".repeat(64) } },
      join(process.cwd(), "examples", "gone.lock.json"),
    );
    await expect(gone.collect([{ package: "busybox", files: ["/bin/busybox"] }])).rejects.toThrow(
      `busybox:arm64 0.0.1-1, pinned in ${join(process.cwd(), "examples", "gone.lock.json")}, is neither in the cache nor in bookworm any more (it has ${available.join(", ")}): \`npm run lock -- --lock examples/gone.lock.json --update busybox:arm64\` pins the current one`,
    );
  });

  it("checks the bytes of a .deb already in the cache against the lock file before unpacking it", async () => {
    const good = new PackageCollector("arm64");
    await good.collect([
      { package: "busybox", files: ["/bin/busybox"] },
      { package: "dropbear-bin", files: ["/usr/sbin/dropbear"] },
    ]);
    const { version, sha256 } = good.lock["busybox:arm64"];
    const real = bookworm.root;
    // a cache of its own holding only the package lists and a swapped busybox .deb: another valid
    // package under its name, as a corrupted disk or a hostile cache writer could leave it
    const cache = await mkdtemp(join(tmpdir(), "limen-deb-check-"));
    const mine = join(cache, "apt", "bookworm");
    await mkdir(join(mine, "archives"), { recursive: true });
    await symlink(join(real, "lists"), join(mine, "lists"));
    // apt's name for the file: the epoch's colon as %3a
    const file = `busybox_${version.replace(":", "%3a")}_arm64.deb`;
    const impostor = (await readdir(join(real, "archives"))).find(
      (f) => f.startsWith("dropbear-bin_") && f.endsWith("_arm64.deb"),
    )!;
    await copyFile(join(real, "archives", impostor), join(mine, "archives", file));
    const saved = process.env.LIMEN_CACHE;
    process.env.LIMEN_CACHE = cache;
    try {
      const checked = new PackageCollector("arm64", { "busybox:arm64": { version, sha256 } }, "test.lock.json");
      await expect(checked.collect([{ package: "busybox", files: ["/bin/busybox"] }])).rejects.toThrow(
        `busybox:arm64 ${version} (pinned in test.lock.json): ${join(mine, "archives", file)} has SHA256 ${createHash(
          "sha256",
        )
          .update(await readFile(join(real, "archives", impostor)))
          .digest("hex")}, expected ${sha256}`,
      );
    } finally {
      if (saved === undefined) delete process.env.LIMEN_CACHE;
      else process.env.LIMEN_CACHE = saved;
      await rm(cache, { recursive: true, force: true });
    }
  });
});

describe("the files a configuration asks for", { timeout: 300_000 }, () => {
  const tree = async (packages: PackageEntry[]) => {
    const [runtime] = await buildRuntime([testDevice.cpu]);
    return rootTree(compile(evaluate(defineConfig({ packages }), testDevice)), runtime.path, {});
  };

  it("ships only the files named, with the libraries they load, and all executables of a package named alone", async () => {
    const { entries } = await tree([{ name: "iproute2", files: ["/sbin/tc", "/bin/ip"] }, "ethtool"]);
    // what came from Debian packages, as the collector shipped it
    const packaged = entries.flatMap((e): ShippedFile[] => {
      if (e.type === "symlink" && e.package)
        return [{ path: e.path, source: undefined, link: e.target, package: e.package }];
      if (e.type === "file" && e.package && e.package !== "limen" && !Buffer.isBuffer(e.content))
        return [{ path: e.path, source: e.content.hostPath, package: e.package }];
      return [];
    });
    const from = (pkg: string) =>
      packaged
        .filter((f) => f.package === pkg)
        .map((f) => f.path)
        .sort();
    expect(from("iproute2")).toEqual(["/bin/ip", "/sbin/tc"]);
    expect(from("ethtool")).toEqual(["/sbin/ethtool"]);
    // the base module's s6: the programs Limen runs and s6-svstat, not the other 60
    expect(from("s6")).toEqual(
      ["s6-ftrigrd", "s6-log", "s6-supervise", "s6-svc", "s6-svlisten1", "s6-svscan", "s6-svscanctl", "s6-svstat"].map(
        (p) => `/usr/bin/${p}`,
      ),
    );
    const shipped = packaged.map((f) => f.path);
    // ip and tc load libbpf and libmnl; arpd alone would have brought Berkeley DB
    expect(shipped).toEqual(
      expect.arrayContaining(["/usr/lib/aarch64-linux-gnu/libbpf.so.1", "/usr/lib/aarch64-linux-gnu/libmnl.so.0"]),
    );
    expect(shipped.filter((p) => p.includes("libdb"))).toEqual([]);
    expect(await unresolved(packaged, "aarch64-linux-gnu")).toEqual([]);
  });

  it("fails naming the package and the file it does not have", async () => {
    await expect(tree([{ name: "iproute2", files: ["/bin/ip", "/sbin/arpd"] }])).rejects.toThrow(
      /^Debian package iproute2 \S+ \(arm64\) has no file \/sbin\/arpd$/,
    );
  });
});
