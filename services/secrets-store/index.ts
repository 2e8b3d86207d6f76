// secrets.store: secrets kept on a persistent file system outside the image (a partition, a disk),
// each a file under one folder. The oneshot mounts it read-only where nothing else looks, copies
// the files it declares into its outputs (root's alone) and unmounts: services read them through outputRef. The
// declaration is also what tools read to make such a store (the lab does, from a folder of secrets).
import {
  absolutePath,
  defineModule,
  nameSafe,
  oneshot,
  outputPath,
  sh,
  template,
  z,
} from "../../image/config/index.ts";

/**
 * The modules a file system type needs where the kernel builds them so (Debian's): ext4 (which
 * also mounts ext2) checksums its metadata with crc32c, which it asks the crypto API for, and
 * vfat reads names through its default code page and character set.
 */
const fsModules = {
  ext4: ["crc32c_generic", "ext4"],
  ext2: ["crc32c_generic", "ext4"],
  vfat: ["vfat", "nls_cp437", "nls_ascii"],
};

const store = template(
  "secrets.store",
  z.strictObject({
    name: z.string().default("secrets").describe("Name of the service, whose outputs are the secrets."),
    device: z
      .string()
      .regex(/^\/dev\/[A-Za-z0-9_.@+-]+(\/[A-Za-z0-9_.@+-]+)*$/, "must be a device file under /dev")
      .describe("Block device holding the file system (/dev/vdb: an emulated device's first extra disk)."),
    fstype: z.enum(["ext4", "ext2", "vfat"]).default("ext4").describe("Its file system type."),
    folder: absolutePath.default("/secrets").describe("Folder of the file system the secrets are in."),
    keys: z
      .array(outputPath)
      .min(1)
      .refine((k) => new Set(k).size === k.length, "must not name a key twice")
      .describe("The secrets, as paths under the folder (ppp/password): each becomes the output of that name."),
  }),
  (p) => {
    const mnt = `/run/limen/store/${nameSafe(p.name)}`;
    const file = (k: string) => `${mnt}${p.folder}/${k}`;
    const folders = [...new Set(p.keys.filter((k) => k.includes("/")).map((k) => k.slice(0, k.lastIndexOf("/"))))];
    return oneshot({
      name: p.name,
      outputs: p.keys,
      kernelModules: fsModules[p.fstype],
      up: [
        // the secrets are root's alone: its outputs folder and every copy in it
        "umask 077",
        'chmod 700 "$OUTPUTS"',
        sh`mkdir -p ${mnt}`,
        sh`mount -t ${p.fstype} -o ro ${p.device} ${mnt} || exit 1`,
        // every key is checked before any is copied: nothing reads half a set of secrets
        "missing=",
        ...p.keys.map((k) => sh`[ -f ${file(k)} ] || missing="$missing "${k}`),
        'if [ -n "$missing" ]; then',
        sh`  echo ${`secrets.store: ${p.device} has no file under ${p.folder} for:`}"$missing" >&2`,
        sh`  umount ${mnt}; exit 1`,
        "fi",
        // (scripts run with set -e: the copies are tested so that the file system is let go either way)
        `if ! { ${[
          ...folders.map((f) => sh`mkdir -p "$OUTPUTS"/${f}`),
          ...p.keys.map((k) => sh`cp ${file(k)} "$OUTPUTS"/${k}`),
        ].join(" && ")}; }; then`,
        sh`  umount ${mnt}; exit 1`,
        "fi",
        sh`umount ${mnt}`,
      ].join("\n"),
    });
  },
);

// A module of its own: what it needs of the kernel (ext4 built in, where the kernel is built from
// source) is for the routers that keep secrets on a file system, not for every secrets user.
export default defineModule({
  name: "secrets-store",
  config: {
    programs: { busybox: { applets: ["mount", "umount", "mkdir", "cp"] } },
    kernel: { config: { EXT4_FS: "y", CRYPTO_CRC32C: "y" } },
  },
  svc: { store },
});
