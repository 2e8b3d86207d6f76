// Debian packages fetched with apt into a private state under the cache: the system's apt
// configuration, lists and archives are never read or written.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cacheRoot } from "./cache.ts";
import { CommandError, run } from "./run.ts";

const keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
const mirror = "http://deb.debian.org/debian";
const listsMaxAgeMs = 24 * 3600 * 1000;

export interface AptRepoSpec {
  /** Names the private state, e.g. "bookworm-cross". */
  name: string;
  suites: string[];
  /** Debian architectures whose binary packages are wanted. */
  architectures: string[];
  sources?: boolean;
}

export interface FetchedPackage {
  name: string;
  version: string;
  architecture: string;
  path: string;
}

export class AptRepo {
  readonly root: string;
  private readonly debs: string;
  private listsReady: Promise<void> | undefined;

  constructor(private readonly spec: AptRepoSpec) {
    this.root = join(cacheRoot(), "apt", spec.name);
    this.debs = join(this.root, "archives");
  }

  private options(): string[] {
    const r = this.root;
    return [
      `-o`, `Dir::Etc::SourceList=${join(r, "sources.list")}`,
      `-o`, `Dir::Etc::SourceParts=/dev/null`,
      `-o`, `Dir::Etc::Preferences=/dev/null`,
      `-o`, `Dir::Etc::PreferencesParts=/dev/null`,
      `-o`, `Dir::State=${join(r, "state")}`,
      `-o`, `Dir::State::Lists=${join(r, "lists")}`,
      `-o`, `Dir::State::status=${join(r, "state", "status")}`,
      `-o`, `Dir::Cache=${join(r, "cache")}`,
      `-o`, `Dir::Cache::archives=${this.debs}`,
      `-o`, `APT::Architecture=amd64`,
      `-o`, `APT::Architectures=${["amd64", ...this.spec.architectures].join(",")}`,
      `-o`, `APT::Sandbox::User=root`,
      `-o`, `Debug::NoLocking=1`,
      `-o`, `Acquire::Languages=none`,
    ];
  }

  private async prepare(): Promise<void> {
    const r = this.root;
    for (const d of ["state", "lists/partial", "cache", "archives/partial", "sources"]) await mkdir(join(r, d), { recursive: true });
    if (!existsSync(join(r, "state", "status"))) await writeFile(join(r, "state", "status"), "");
    if (!existsSync(keyring)) throw new Error(`${keyring} is missing: install the debian-archive-keyring package`);
    const archs = this.spec.architectures.join(",");
    const lines = this.spec.suites.flatMap((s) => [
      `deb [arch=${archs} signed-by=${keyring}] ${mirror} ${s} main`,
      ...(this.spec.sources ? [`deb-src [signed-by=${keyring}] ${mirror} ${s} main`] : []),
    ]);
    await writeFile(join(r, "sources.list"), lines.join("\n") + "\n");
  }

  /** Updates the package lists when missing or older than a day. */
  private ensureLists(force = false): Promise<void> {
    if (!force && this.listsReady) return this.listsReady;
    this.listsReady = (async () => {
      await this.prepare();
      const stamp = join(this.root, "lists", ".updated");
      const fresh = !force && existsSync(stamp) && Date.now() - (await stat(stamp)).mtimeMs < listsMaxAgeMs;
      if (fresh) return;
      try {
        await run(["apt-get", ...this.options(), "update"]);
      } catch (e) {
        throw new Error(`cannot update the package lists of ${this.spec.suites.join(", ")} from ${mirror} (network down?)\n${(e as Error).message}`);
      }
      await writeFile(stamp, new Date().toISOString());
    })();
    return this.listsReady;
  }

  private async resolvedIndex(): Promise<Record<string, FetchedPackage>> {
    const f = join(this.root, "resolved.json");
    return existsSync(f) ? (JSON.parse(await readFile(f, "utf8")) as Record<string, FetchedPackage>) : {};
  }

  /**
   * Downloads binary packages (`name:arch`, optionally `=version`), reusing earlier downloads.
   * An unpinned package is resolved once and then reused until the cache is cleared.
   */
  async fetch(specs: string[]): Promise<FetchedPackage[]> {
    const index = await this.resolvedIndex();
    const missing = specs.filter((s) => !index[s] || !existsSync(index[s]!.path));
    if (missing.length > 0) {
      await this.ensureLists();
      for (const spec of missing) index[spec] = await this.download(spec);
      await writeFile(join(this.root, "resolved.json"), JSON.stringify(index, null, 2) + "\n");
    }
    return specs.map((s) => index[s]!);
  }

  private async download(spec: string): Promise<FetchedPackage> {
    const before = new Set(await readdir(this.debs));
    try {
      await run(["apt-get", ...this.options(), "download", spec], { cwd: this.debs });
    } catch (e) {
      const out = e instanceof CommandError ? e.output : String(e);
      throw new Error(`Debian package ${spec} cannot be downloaded from ${this.spec.suites.join(", ")}: ${out.split("\n").find((l) => l.startsWith("E:")) ?? out}`);
    }
    const added = (await readdir(this.debs)).filter((f) => f.endsWith(".deb") && !before.has(f));
    const name = spec.split(/[:=]/)[0]!;
    const file = added.find((f) => f.startsWith(`${name}_`)) ?? (await this.findExisting(name, spec));
    const [, version, arch] = file.replace(/\.deb$/, "").split("_");
    return { name, version: decodeURIComponent(version!), architecture: arch!, path: join(this.debs, file) };
  }

  /** apt-get download does nothing when the file is already present: find it by name. */
  private async findExisting(name: string, spec: string): Promise<string> {
    const arch = spec.includes(":") ? spec.split(":")[1]!.split("=")[0]! : undefined;
    const found = (await readdir(this.debs)).filter((f) => f.startsWith(`${name}_`) && (!arch || f.endsWith(`_${arch}.deb`) || f.endsWith("_all.deb")));
    if (found.length !== 1) throw new Error(`downloaded ${spec} but cannot identify its .deb among ${found.join(", ") || "nothing"}`);
    return found[0]!;
  }

  /** Downloads a source package (`name=version`) and unpacks it with dpkg-source into `dest`. */
  async source(spec: string, dest: string): Promise<void> {
    await this.ensureLists();
    const dir = join(this.root, "sources", spec.replace(/[^A-Za-z0-9.+~-]/g, "_"));
    await mkdir(dir, { recursive: true });
    if (!(await readdir(dir)).some((f) => f.endsWith(".dsc"))) {
      try {
        await run(["apt-get", ...this.options(), "source", "--download-only", spec], { cwd: dir });
      } catch (e) {
        throw new Error(`Debian source package ${spec} cannot be downloaded: ${(e as Error).message}`);
      }
    }
    const dsc = (await readdir(dir)).find((f) => f.endsWith(".dsc"))!;
    await run(["dpkg-source", "--no-check", "-x", join(dir, dsc), dest]);
  }
}

/** Unpacks a .deb's data into `dest`. */
export async function extractDeb(deb: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  await run(["dpkg-deb", "-x", deb, dest]);
}
