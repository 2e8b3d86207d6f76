// Debian packages the build takes whatever the configuration (the runtime's musl, kernel headers
// and engine source, the kernel source, the emulated devices' kernels), pinned in build.lock.json
// as a configuration's packages are in its own lock file: a build never silently takes what the
// archive serves today. The archive keeps only current versions, so a pinned one that is gone
// (and not in the cache) stops the build, saying what it has instead and how to move the pin.
import { existsSync, readFileSync } from "node:fs";
import { readdir, rename, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { z } from "zod";
import type { AptRepo, FetchedPackage } from "./apt.ts";
import { projectRoot } from "./cache.ts";

const Entry = z.strictObject({
  version: z.string().regex(/^\S+$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
/**
 * A lock file: pins by group, then by package spec as fetched (`name:arch`, or `name`). The
 * groups of build.lock.json are apt repositories (bookworm, sid); those of a configuration's lock
 * file Debian architectures, its packages all from bookworm.
 */
const LockFile = z.record(z.string(), z.record(z.string(), Entry));
type LockFile = z.infer<typeof LockFile>;
export type Pin = z.infer<typeof Entry>;

/** The build's lock file; LIMEN_BUILD_LOCK moves it (the tests' pins that no archive has). */
export function buildLockFile(): string {
  return process.env.LIMEN_BUILD_LOCK ?? join(projectRoot, "build.lock.json");
}

/** The command that moves a pin of `file` to the archive's current version. */
function updateCommand(spec: string, file: string): string {
  const lock = file === buildLockFile() ? "" : ` --lock ${relative(process.cwd(), file)}`;
  return `npm run lock --${lock} --update ${spec}`;
}

function readLockFile(file: string): LockFile {
  if (!existsSync(file)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const parsed = LockFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

/** Pins recorded by this process, one at a time: each rewrites the whole file. */
let recording: Promise<void> = Promise.resolve();

/** Records one pin, the file written whole and renamed so a reader never sees half of it. */
function recordPin(file: string, repo: string, spec: string, pkg: FetchedPackage): Promise<void> {
  const write = async () => {
    const lock = readLockFile(file);
    lock[repo] = Object.fromEntries(
      Object.entries({ ...lock[repo], [spec]: { version: pkg.version, sha256: pkg.sha256 } }).sort(([a], [b]) =>
        a < b ? -1 : 1,
      ),
    );
    const tmp = `${file}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify(lock, null, 1) + "\n");
    await rename(tmp, file);
  };
  recording = recording.then(write, write);
  return recording;
}

/** A pinned .deb already downloaded: its bytes are checked against the pin when it is unpacked. */
async function cachedDeb(repo: AptRepo, spec: string, version: string): Promise<string | undefined> {
  const [name, arch] = spec.split(":");
  const dir = join(repo.root, "archives");
  if (!existsSync(dir)) return undefined;
  // apt's file name: name_version_arch.deb, the epoch's colon written %3a
  const prefix = `${name}_${version.replace(":", "%3a")}_`;
  const file = (await readdir(dir)).find(
    (f) => f.startsWith(prefix) && (!arch || [`${arch}.deb`, "all.deb"].includes(f.slice(prefix.length))),
  );
  return file && join(dir, file);
}

/**
 * The package `spec` at the version build.lock.json pins, from the cache or the archive; an
 * unpinned one is taken at the archive's current version and pinned. `sha256` is the pin's.
 */
export async function pinnedPackage(repo: AptRepo, spec: string): Promise<FetchedPackage> {
  const file = buildLockFile();
  const pin = readLockFile(file)[repo.name]?.[spec];
  if (pin) return fetchPinned(repo, spec, pin, file);
  const [pkg] = await repo.fetch([spec]);
  await recordPin(file, repo.name, spec, pkg);
  return pkg;
}

/**
 * `spec` at the version `pin` gives, from the cache (its bytes checked against the pin when it is
 * unpacked) or else the archive; a version the archive no longer has stops the build, saying
 * which it has and the command that moves the pin. `sha256` is the pin's.
 */
export async function fetchPinned(repo: AptRepo, spec: string, pin: Pin, file: string): Promise<FetchedPackage> {
  const [name, arch] = spec.split(":");
  const cached = await cachedDeb(repo, spec, pin.version);
  if (cached) return { name, version: pin.version, architecture: arch ?? "all", path: cached, sha256: pin.sha256 };
  let pkg: FetchedPackage;
  try {
    [pkg] = await repo.fetch([`${spec}=${pin.version}`]);
  } catch (e) {
    const available = await repo.versions(spec).catch(() => []);
    throw new Error(
      `${spec} ${pin.version}, pinned in ${file}, is neither in the cache nor in ${repo.suites} any more ` +
        `(it has ${available.length > 0 ? available.join(", ") : "no version of it"}): ` +
        `\`${updateCommand(spec, file)}\` pins the current one`,
      { cause: e },
    );
  }
  if (pkg.sha256 !== pin.sha256)
    throw new Error(`${spec} ${pin.version}: the archive's file has SHA256 ${pkg.sha256}, ${file} says ${pin.sha256}`);
  return pkg;
}

/** What extractDeb checks a pinned package's bytes against, and how it names it. */
export function pinnedBytes(pkg: FetchedPackage, file = buildLockFile()): { sha256: string; what: string } {
  return { sha256: pkg.sha256, what: `${pkg.name}:${pkg.architecture} ${pkg.version} (pinned in ${file})` };
}

/**
 * Moves the pin of `spec` in `file` to the archive's current version (`npm run lock --
 * --update`), in every group that pins it; `repoOf` names the repository of a group.
 */
export async function updatePin(
  file: string,
  spec: string,
  repoOf: (group: string) => AptRepo,
): Promise<{ group: string; pkg: FetchedPackage }[]> {
  const lock = readLockFile(file);
  const groups = Object.keys(lock).filter((g) => lock[g][spec]);
  if (groups.length === 0)
    throw new Error(`${file} pins no ${spec} (pinned there: ${Object.values(lock).flatMap(Object.keys).join(", ")})`);
  const moved = [];
  for (const group of groups) {
    const pkg = await repoOf(group).current(spec);
    await recordPin(file, group, spec, pkg);
    moved.push({ group, pkg });
  }
  return moved;
}
