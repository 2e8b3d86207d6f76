// Programs from Debian packages for a device's architecture: the chosen files of each package
// plus, following DT_NEEDED and the ELF interpreter, the shared libraries they load — found in
// the packages' dependencies, fetched only as far as needed.
import { existsSync, lstatSync, readdirSync, readlinkSync } from "node:fs";
import { join, posix } from "node:path";
import { extractDeb, type FetchedPackage } from "../lib/apt.ts";
import { cachedDir, hashOf } from "../lib/cache.ts";
import { readFile, writeFile } from "node:fs/promises";
import { fetchPinned, pinnedBytes } from "../lib/pinned.ts";
import { bookworm, debianArchitectures, type DebianArch } from "../lib/debian.ts";
import { elfNeeds, isElf } from "./elf.ts";

export interface PackageRequest {
  package: string;
  /**
   * Absolute paths inside the package to ship (executables and data), or "executables" for
   * everything in its bin and sbin folders; libraries come by themselves.
   */
  files: string[] | "executables";
}

const executableDirs = ["/bin", "/sbin", "/usr/bin", "/usr/sbin"];

export interface LockEntry {
  version: string;
  sha256: string;
}
/** Exact package bits a build used, by name:arch. */
export type Lock = Record<string, LockEntry>;

export interface ShippedFile {
  /** Absolute path in the root filesystem. */
  path: string;
  /** Host path of the content; undefined for a symlink. */
  source: string | undefined;
  /** Target of a symlink, as the package has it. */
  link?: string;
  package: string;
}

interface Unpacked {
  pkg: FetchedPackage;
  root: string;
}

/** Resolves a path inside an unpacked package, following its symlinks within the package. */
function resolveIn(root: string, path: string, depth = 0): string | undefined {
  if (depth > 16) return undefined;
  const host = join(root, path);
  if (!isSymlink(host)) return existsSync(host) ? path : undefined;
  return resolveIn(root, linkTarget(path, readlinkSync(host)), depth + 1);
}

function linkTarget(path: string, target: string): string {
  return target.startsWith("/") ? target : posix.join(posix.dirname(path), target);
}

function listFiles(root: string, dir: string): string[] {
  const host = join(root, dir);
  if (!existsSync(host) || isSymlink(host)) return [];
  return readdirSync(host)
    .sort()
    .map((n) => `${dir}/${n}`)
    .filter((p) => isSymlink(join(root, p)) || !lstatSync(join(root, p)).isDirectory());
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

export class PackageCollector {
  private readonly unpacked = new Map<string, Unpacked>();
  readonly lock: Lock;

  constructor(
    private readonly arch: DebianArch,
    lock: Lock = {},
    /** Where `lock` comes from, for errors. */
    private readonly lockFile = "the lock file",
  ) {
    this.lock = { ...lock };
  }

  /** Fetches several packages in one apt call, then unpacks each. */
  private async unpackAll(names: string[]): Promise<void> {
    const specs = names.map((n) => (n.includes(":") ? n : `${n}:${this.arch}`)).filter((s) => !this.unpacked.has(s));
    // one apt call for all; if it fails, unpack() fetches each alone and names the one at fault
    await bookworm.fetch(specs.map((s) => (this.lock[s] ? `${s}=${this.lock[s].version}` : s))).catch(() => undefined);
    for (const s of specs) await this.unpack(s);
  }

  private async unpack(name: string): Promise<Unpacked> {
    const spec = name.includes(":") ? name : `${name}:${this.arch}`;
    const have = this.unpacked.get(spec);
    if (have) return have;
    const locked = this.lock[spec];
    const [pkg] = locked ? [await fetchPinned(bookworm, spec, locked, this.lockFile)] : await bookworm.fetch([spec]);
    this.lock[spec] = { version: pkg.version, sha256: pkg.sha256 };
    const root = await cachedDir("deb", `${pkg.name}_${pkg.sha256.slice(0, 24)}`, (out) =>
      extractDeb(
        pkg.path,
        out,
        locked ? pinnedBytes(pkg, this.lockFile) : { sha256: pkg.sha256, what: `${spec} ${pkg.version}` },
      ),
    );
    const u = { pkg: pkg, root };
    this.unpacked.set(spec, u);
    return u;
  }

  private libraryDirs(): string[] {
    const triple = debianArchitectures[this.arch];
    return [`/lib/${triple}`, `/usr/lib/${triple}`, "/lib", "/usr/lib"];
  }

  private findLibrary(soname: string, among: Unpacked[]): { u: Unpacked; path: string } | undefined {
    for (const u of among) {
      for (const dir of this.libraryDirs()) {
        if (resolveIn(u.root, `${dir}/${soname}`)) return { u, path: `${dir}/${soname}` };
      }
    }
    return undefined;
  }

  /**
   * Ships the requested files and every library they load; fails naming what is missing where.
   * The answer for the same requests and lock comes from the cache: no apt call, no ELF reading.
   */
  async collect(requests: PackageRequest[]): Promise<ShippedFile[]> {
    const dir = await cachedDir(
      "collected",
      hashOf(this.arch, JSON.stringify(requests), JSON.stringify(Object.entries(this.lock).sort())),
      async (out) => {
        const files = await this.collectNow(requests);
        await writeFile(join(out, "result.json"), JSON.stringify({ files, lock: this.lock }));
      },
    );
    const saved = JSON.parse(await readFile(join(dir, "result.json"), "utf8")) as { files: ShippedFile[]; lock: Lock };
    Object.assign(this.lock, saved.lock);
    return saved.files;
  }

  private async collectNow(requests: PackageRequest[]): Promise<ShippedFile[]> {
    const shipped = new Map<string, ShippedFile>();
    const pending: { path: string; host: string; by: string }[] = [];
    // a symlink in the package is shipped as a symlink, and what it points to as well
    const ship = (path: string, u: Unpacked) => {
      for (let p = path; !shipped.has(p);) {
        const host = join(u.root, p);
        if (!isSymlink(host)) {
          shipped.set(p, { path: p, source: host, package: u.pkg.name });
          pending.push({ path: p, host, by: u.pkg.name });
          return;
        }
        const link = readlinkSync(host);
        shipped.set(p, { path: p, source: undefined, link, package: u.pkg.name });
        p = linkTarget(p, link);
      }
    };
    await this.unpackAll(requests.map((r) => r.package));
    for (const r of requests) {
      const u = await this.unpack(r.package);
      const files = r.files === "executables" ? executableDirs.flatMap((d) => listFiles(u.root, d)) : r.files;
      if (files.length === 0)
        throw new Error(`Debian package ${r.package} ${u.pkg.version} (${this.arch}) has no executables`);
      for (const f of files) {
        const real = resolveIn(u.root, f);
        if (!real || lstatSync(join(u.root, real)).isDirectory())
          throw new Error(`Debian package ${r.package} ${u.pkg.version} (${this.arch}) has no file ${f}`);
        ship(f, u);
      }
    }
    // Breadth-first over dependencies: a library is looked for in the packages fetched so far,
    // then in their direct dependencies, and so on.
    const searched = new Set<string>();
    while (pending.length > 0) {
      const { path, host, by } = pending.shift()!;
      if (!(await isElf(host))) continue;
      const needs = await elfNeeds(host);
      if (!needs) continue;
      const wanted = [
        ...needs.needed.map((s) => ({ soname: s, absolute: false })),
        ...(needs.interpreter ? [{ soname: needs.interpreter, absolute: true }] : []),
      ];
      for (const { soname, absolute } of wanted) {
        for (;;) {
          const among = [...this.unpacked.values()];
          const found = absolute ? this.findAbsolute(soname, among) : this.findLibrary(soname, among);
          if (found) {
            ship(found.path, found.u);
            break;
          }
          const next = await this.expandDependencies(searched);
          if (next === 0)
            throw new Error(
              `${soname}, needed by ${path} (from ${by}), is in none of the packages it depends on (${[...this.unpacked.keys()].join(", ")})`,
            );
        }
      }
    }
    return [...shipped.values()].sort((a, b) => a.path.localeCompare(b.path));
  }

  private findAbsolute(path: string, among: Unpacked[]): { u: Unpacked; path: string } | undefined {
    for (const u of among) {
      if (resolveIn(u.root, path)) return { u, path };
    }
    return undefined;
  }

  /** Unpacks the direct dependencies of every package not yet expanded; returns how many were added. */
  private async expandDependencies(searched: Set<string>): Promise<number> {
    const frontier = [...this.unpacked.keys()].filter((s) => !searched.has(s));
    frontier.forEach((s) => searched.add(s));
    if (frontier.length === 0) return 0;
    const deps = await bookworm.depends(frontier);
    const next = [...new Set(Object.values(deps).flat())].filter((d) => !this.unpacked.has(d));
    await this.unpackAll(next);
    return next.length;
  }
}
