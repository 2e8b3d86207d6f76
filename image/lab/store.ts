// A secrets store's disk, as a configuration's secrets.store service declares it: the declared
// file system holding each declared key under the declared folder, made from a folder of files
// (`--secrets DIR`) or from given values. A key the source lacks is an error naming it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { ensureCommands } from "../lib/host-programs.ts";

/** The secrets.store parameters the disk is made from (as the system description records them). */
export const storeParams = z.object({
  device: z.string(),
  fstype: z.enum(["ext4", "ext2", "vfat"]),
  folder: z.string(),
  keys: z.array(z.string()).min(1),
});
export type StoreParams = z.output<typeof storeParams>;

/** Each key's value: from `dir` (a file per key) where it has one, else from `defaults`. */
export function storeValues(
  params: StoreParams,
  dir: string | null,
  defaults: Record<string, string>,
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of params.keys) {
    const file = dir === null ? null : join(dir, key);
    if (file !== null && existsSync(file)) values[key] = readFileSync(file, "utf8");
    else if (dir === null && key in defaults) values[key] = defaults[key];
    else throw new Error(`secrets store: ${file ?? `no value for ${key}`} is missing (the configuration reads ${key})`);
  }
  return values;
}

/** Writes a file system image at `out` holding `values` under the store's folder. */
export function makeStoreImage(params: StoreParams, values: Record<string, string>, out: string): void {
  if (params.fstype === "vfat") throw new Error("secrets store: making a vfat store is not supported yet (ext4 is)");
  const mkfs = `mkfs.${params.fstype}`;
  ensureCommands([mkfs]);
  const staging = mkdtempSync(join(tmpdir(), "limen-store-"));
  try {
    for (const [key, value] of Object.entries(values)) {
      const file = join(staging, params.folder, key);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, value, { mode: 0o600 });
    }
    // small, and its contents copied in by mkfs itself: no mount, no root
    const r = spawnSync(mkfs, ["-q", "-F", "-d", staging, out, "4M"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${mkfs} ${out} failed: ${r.stderr.trim()}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Makes each store's disk in `dir`, in the order run.sh attaches extra disks (/dev/vdb, /dev/vdc,
 * …): a store on any other device is one the lab cannot provide, an error naming it and `where`.
 */
export function storeDisks(
  stores: { service: string; params: StoreParams }[],
  secrets: string | null,
  defaults: Record<string, string>,
  dir: string,
  where: string,
): string[] {
  const sorted = [...stores].sort((a, b) => a.params.device.localeCompare(b.params.device));
  return sorted.map((s, i) => {
    const next = `/dev/vd${String.fromCharCode("b".charCodeAt(0) + i)}`;
    if (s.params.device !== next)
      throw new Error(
        `${where}: secrets store ${s.service} is on ${s.params.device}: the lab provides whole emulated disks only, ${next} next`,
      );
    const file = join(dir, `${nameSafeFile(s.service)}.img`);
    makeStoreImage(s.params, storeValues(s.params, secrets, defaults), file);
    return file;
  });
}

const nameSafeFile = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, "_");
