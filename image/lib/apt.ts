// Debian packages fetched with apt into a private state under the cache: the system's apt
// configuration, lists and archives are never read or written.
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cacheRoot, recordUse } from "./cache.ts";
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
  sha256: string;
}

export class AptRepo {
  /** By root: the cache may move (LIMEN_CACHE) between calls. */
  private readonly listsReady = new Map<string, Promise<void>>();

  constructor(private readonly spec: AptRepoSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get suites(): string {
    return this.spec.suites.join(", ");
  }

  /** Read when used, not when made: a test moves the cache with LIMEN_CACHE after the import. */
  get root(): string {
    return join(cacheRoot(), "apt", this.spec.name);
  }

  private get debs(): string {
    return join(this.root, "archives");
  }

  private options(): string[] {
    const r = this.root;
    return [
      `-o`,
      `Dir::Etc::SourceList=${join(r, "sources.list")}`,
      `-o`,
      `Dir::Etc::SourceParts=/dev/null`,
      `-o`,
      `Dir::Etc::Preferences=/dev/null`,
      `-o`,
      `Dir::Etc::PreferencesParts=/dev/null`,
      `-o`,
      `Dir::State=${join(r, "state")}`,
      `-o`,
      `Dir::State::Lists=${join(r, "lists")}`,
      `-o`,
      `Dir::State::status=${join(r, "state", "status")}`,
      `-o`,
      `Dir::Cache=${join(r, "cache")}`,
      `-o`,
      `Dir::Cache::archives=${this.debs}`,
      `-o`,
      `APT::Architecture=amd64`,
      `-o`,
      `APT::Architectures=${["amd64", ...this.spec.architectures].join(",")}`,
      `-o`,
      `APT::Sandbox::User=root`,
      `-o`,
      `Debug::NoLocking=1`,
      `-o`,
      `Acquire::Languages=none`,
    ];
  }

  private async prepare(): Promise<void> {
    const r = this.root;
    for (const d of ["state", "lists/partial", "cache", "archives/partial", "sources"])
      await mkdir(join(r, d), { recursive: true });
    if (!existsSync(join(r, "state", "status"))) await writeFile(join(r, "state", "status"), "");
    if (!existsSync(keyring)) throw new Error(`${keyring} is missing: install the debian-archive-keyring package`);
    const archs = this.spec.architectures.join(",");
    const lines = this.spec.suites.flatMap((s) => [
      `deb [arch=${archs} signed-by=${keyring}] ${mirror} ${s} main`,
      ...(this.spec.sources ? [`deb-src [signed-by=${keyring}] ${mirror} ${s} main`] : []),
    ]);
    await writeFile(join(r, "sources.list"), lines.join("\n") + "\n");
  }

  /** Updates the package lists when missing or older than a day (or now, with `force`). */
  private ensureLists(force = false): Promise<void> {
    const ready = this.listsReady.get(this.root);
    if (ready && !force) return ready;
    recordUse("apt", this.spec.name);
    const updating = (async () => {
      await this.prepare();
      // the stamp records which sources the lists were made from
      const stamp = join(this.root, "lists", ".updated");
      const sources = await readFile(join(this.root, "sources.list"), "utf8");
      const fresh =
        !force &&
        existsSync(stamp) &&
        (await readFile(stamp, "utf8")) === sources &&
        Date.now() - (await stat(stamp)).mtimeMs < listsMaxAgeMs;
      if (fresh) return;
      try {
        await run(["apt-get", ...this.options(), "update"]);
      } catch (e) {
        throw new Error(
          `cannot update the package lists of ${this.spec.suites.join(", ")} from ${mirror} (network down?)\n${(e as Error).message}`,
          { cause: e },
        );
      }
      await writeFile(stamp, sources);
    })();
    this.listsReady.set(this.root, updating);
    return updating;
  }

  private async resolvedIndex(): Promise<Record<string, FetchedPackage>> {
    const f = join(this.root, "resolved.json");
    return existsSync(f) ? (JSON.parse(await readFile(f, "utf8")) as Record<string, FetchedPackage>) : {};
  }

  /**
   * Downloads binary packages (`name:arch`, optionally `=version`), reusing earlier downloads.
   * An unpinned package is resolved once and then reused until the cache is cleared.
   */
  fetch(specs: string[]): Promise<FetchedPackage[]> {
    return this.serially(() => this.fetchNow(specs));
  }

  /** apt's state and resolved.json are shared by all callers: one operation at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private serially<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async fetchNow(specs: string[]): Promise<FetchedPackage[]> {
    const index = await this.resolvedIndex();
    const missing = [...new Set(specs.filter((s) => !index[s]?.sha256 || !existsSync(index[s].path)))];
    if (missing.length > 0) {
      await this.ensureLists();
      Object.assign(index, await this.download(missing));
      await writeFile(join(this.root, "resolved.json"), JSON.stringify(index, null, 2) + "\n");
    }
    return specs.map((s) => index[s]);
  }

  /** The versions of `spec` (`name:arch` or `name`) the archive has, newest first. */
  versions(spec: string): Promise<string[]> {
    return this.serially(async () => {
      await this.ensureLists();
      // a line a version: " name | version | URI suite/component arch Packages"
      const { stdout } = await run(["apt-cache", ...this.options(), "madison", spec]);
      return [...new Set(stdout.split("\n").flatMap((l) => l.split("|")[1]?.trim() ?? []))];
    });
  }

  /** Downloads the archive's current version of `spec` after refreshing the lists, and remembers it. */
  current(spec: string): Promise<FetchedPackage> {
    return this.serially(async () => {
      await this.ensureLists(true);
      const index = await this.resolvedIndex();
      Object.assign(index, await this.download([spec]));
      await writeFile(join(this.root, "resolved.json"), JSON.stringify(index, null, 2) + "\n");
      return index[spec];
    });
  }

  /** One apt call resolves every spec (apt loads its lists once per call, which takes seconds). */
  private async download(specs: string[]): Promise<Record<string, FetchedPackage>> {
    const where = this.spec.suites.join(", ");
    let uris: string;
    try {
      uris = (await run(["apt-get", ...this.options(), "download", "--print-uris", ...specs])).stdout;
    } catch (e) {
      if (specs.length > 1) {
        // find the spec apt refuses, to name it
        for (const s of specs) await this.download([s]);
      }
      const out = e instanceof CommandError ? e.output : String(e);
      throw new Error(
        `Debian package ${specs.join(" ")} is not in ${where}: ${out.split("\n").find((l) => l.startsWith("E:")) ?? out}`,
        { cause: e },
      );
    }
    // a line a package: 'URI' name_version_arch.deb size SHA256:hash
    const found = uris
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [, file, , hash] = line.split(" ");
        if (!file?.endsWith(".deb") || !hash?.startsWith("SHA256:"))
          throw new Error(`apt-get printed an unexpected line for ${specs.join(" ")}: ${line}`);
        const [name, version, arch] = file.replace(/\.deb$/, "").split("_");
        return {
          name: name,
          version: decodeURIComponent(version),
          architecture: arch,
          path: join(this.debs, file),
          sha256: hash.slice(7),
        };
      });
    const absent = found.filter((f) => !existsSync(f.path));
    if (absent.length > 0) {
      try {
        await run(
          ["apt-get", ...this.options(), "download", ...absent.map((f) => `${f.name}:${f.architecture}=${f.version}`)],
          { cwd: this.debs },
        );
      } catch (e) {
        throw new Error(`Debian packages cannot be downloaded from ${where} (network down?): ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    const result: Record<string, FetchedPackage> = {};
    for (const spec of specs) {
      const [nameArch, version] = spec.split("=");
      const [name, arch] = nameArch.split(":");
      const f = found.find(
        (p) =>
          p.name === name &&
          (!arch || p.architecture === arch || p.architecture === "all") &&
          (!version || p.version === version),
      );
      if (!f)
        throw new Error(
          `apt-get did not resolve ${spec} (it printed: ${found.map((p) => p.path.split("/").pop()).join(", ")})`,
        );
      result[spec] = f;
    }
    return result;
  }

  /**
   * Direct dependencies (Depends and Pre-Depends, every alternative) of each `name:arch`, limited
   * to packages of that architecture (architecture-independent packages hold no libraries).
   */
  depends(specs: string[]): Promise<Record<string, string[]>> {
    return this.serially(async () => {
      const file = join(this.root, "depends.json");
      const known = existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as Record<string, string[]>) : {};
      const pkgs = await this.fetchNow(specs);
      const keyOf = (i: number) => `${specs[i]} ${pkgs[i].sha256}`;
      const unknown = specs.filter((_, i) => !known[keyOf(i)]);
      if (unknown.length > 0) {
        await this.ensureLists();
        const { stdout } = await run([
          "apt-cache",
          ...this.options(),
          "depends",
          "--no-recommends",
          "--no-suggests",
          "--no-conflicts",
          "--no-breaks",
          "--no-replaces",
          "--no-enhances",
          ...unknown,
        ]);
        // sections: a package's name on a line of its own, then its indented relations
        const sections = new Map<string, string[]>();
        let current: string[] | undefined;
        for (const line of stdout.split("\n")) {
          if (/^\S/.test(line)) sections.set(line.trim(), (current = []));
          else current?.push(line);
        }
        for (const spec of unknown) {
          const arch = spec.split(":")[1];
          const lines = sections.get(spec) ?? sections.get(spec.split(":")[0]) ?? [];
          const names = lines
            .map((l) => /^\s*\|?(?:Pre)?Depends: ([^<\s]\S*)$/.exec(l)?.[1])
            .filter((n): n is string => n !== undefined);
          known[`${spec} ${pkgs[specs.indexOf(spec)].sha256}`] = [
            ...new Set(names.filter((n) => arch && n.endsWith(`:${arch}`))),
          ];
        }
        await writeFile(file, JSON.stringify(known, null, 1) + "\n");
      }
      return Object.fromEntries(specs.map((s, i) => [s, known[keyOf(i)]]));
    });
  }

  /** Downloads a source package (`name=version`) and unpacks it with dpkg-source into `dest`. */
  source(spec: string, dest: string): Promise<void> {
    return this.serially(() => this.sourceNow(spec, dest));
  }

  private async sourceNow(spec: string, dest: string): Promise<void> {
    await this.ensureLists();
    const dir = join(this.root, "sources", spec.replace(/[^A-Za-z0-9.+~-]/g, "_"));
    await mkdir(dir, { recursive: true });
    if (!(await readdir(dir)).some((f) => f.endsWith(".dsc"))) {
      try {
        await run(["apt-get", ...this.options(), "source", "--download-only", spec], { cwd: dir });
      } catch (e) {
        throw new Error(`Debian source package ${spec} cannot be downloaded: ${(e as Error).message}`, { cause: e });
      }
    }
    const dsc = (await readdir(dir)).find((f) => f.endsWith(".dsc"))!;
    await run(["dpkg-source", "--no-check", "-x", join(dir, dsc), dest]);
  }
}

/** SHA-256 of a file's bytes, in hex. */
async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * Refuses a .deb whose bytes do not have the SHA-256 `expected` says (the lock file's, else the
 * archive index's): a file in the cache is no more trusted than a download.
 */
export async function verifyDeb(deb: string, expected: { sha256: string; what: string }): Promise<void> {
  const actual = await sha256File(deb);
  if (actual !== expected.sha256)
    throw new Error(
      `${expected.what}: ${deb} has SHA256 ${actual}, expected ${expected.sha256} (delete the file to download it again)`,
    );
}

/** Unpacks a .deb's data into `dest` once its bytes are verified. */
export async function extractDeb(deb: string, dest: string, expected: { sha256: string; what: string }): Promise<void> {
  await verifyDeb(deb, expected);
  await mkdir(dest, { recursive: true });
  await run(["dpkg-deb", "-x", deb, dest]);
}
