// The base options every configuration has (the manual's Appendix B "Base options", "Busybox",
// "Hardware-dependent options", hostname, kernel, logging, boot and users). Modules add their own.
import { z } from "zod";
import { absolutePath, fileTree } from "./files.ts";
import { outputs } from "./outputs.ts";
import { Service } from "./service.ts";

const kconfigName = z.string().regex(/^[A-Z0-9_]+$/, "must be a Kconfig symbol without the CONFIG_ prefix");
const kconfig = z.record(kconfigName, z.string().min(1));
const account = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]*$/, "must be a user or group name (lower case letters, digits, _ and -)");
const id = z.number().int().min(0).max(65535);
const unsigned = z.number().int().min(0);
const positive = z.number().int().min(1);
const packageName = z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, "must be a Debian package name");
/** A package's name ships all its executables; `{ name, files }` only the files named (libraries come by themselves). */
const packageEntry = z.union([
  packageName,
  z.strictObject({ name: packageName, files: z.array(absolutePath).min(1, "must name at least one file") }),
]);
export type PackageEntry = z.output<typeof packageEntry>;

const user = z.strictObject({
  uid: id,
  gid: id,
  dir: z.string().default("/run"),
  gecos: z
    .string()
    .regex(/^[^:\n]*$/, "must not contain : or newlines")
    .default(""),
  shell: z.string().default("/bin/sh"),
  /** Encrypted, as made by `mkpasswd -m sha512crypt`; "!!" locks password login. */
  passwd: z
    .string()
    .regex(/^[^:\n]*$/, "must not contain : or newlines")
    .default("!!"),
  openssh: z
    .strictObject({ authorizedKeys: z.strictObject({ keys: z.array(z.string().min(1)).default([]) }).prefault({}) })
    .prefault({}),
});

const group = z.strictObject({ gid: id, usernames: z.array(account).default([]) });

export const baseOptions = {
  hostname: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9.-]+$/, "must be a host name")
    .default("limen"),
  services: z
    .record(
      z.string().min(1),
      z.instanceof(Service, { message: "expected a service (built with longrun, oneshot, bundle or a template)" }),
    )
    .default({}),
  packages: z.array(packageEntry).default([]),
  defaultProfile: { packages: z.array(packageEntry).default([]) },
  filesystem: fileTree.default({}),
  rootfsType: z.enum(["btrfs", "ext4", "jffs2", "squashfs", "ubifs"]).default("squashfs"),
  rootOptions: z.string().nullable().default(null),
  users: z.record(account, user).default({}),
  groups: z.record(account, group).default({}),
  programs: {
    busybox: {
      applets: z.array(z.string().regex(/^[a-z0-9_.[-]+$/, "must be a busybox applet name")).default([]),
      options: kconfig.default({}),
    },
  },
  kernel: {
    config: kconfig.default({}),
    conditionalConfig: z.record(kconfigName, kconfig).default({}),
    modular: z.boolean().default(true),
    makeTargets: z.array(z.string()).default([]),
    /** Modules loaded at boot, before the root is mounted, where the kernel builds a driver as a module (Debian's, in the emulated devices). */
    loadModules: z.array(z.string().regex(/^[A-Za-z0-9_-]+$/, "must be a kernel module name")).default([]),
    version: z.string().default("6.1"),
  },
  boot: {
    commandLine: z.array(z.string().min(1)).default([]),
    commandLineDtbNode: z.enum(["bootargs", "bootargs-override"]).default("bootargs"),
    imageFormat: z.enum(["fit", "uimage"]).default("uimage"),
    imageType: z.enum(["primary", "secondary"]).default("primary"),
    tftp: {
      ipaddr: z.string().optional(),
      serverip: z.string().optional(),
      loadAddress: unsigned.optional(),
      appendDTB: z.boolean().default(false),
      compressRoot: z.boolean().default(false),
      freeSpaceBytes: z.number().int().default(0),
      kernelFormat: z.enum(["zimage", "uimage"]).default("uimage"),
    },
    initramfs: { enable: z.boolean().default(false) },
    ramdisk: { enable: z.boolean().default(false) },
  },
  logging: {
    directory: absolutePath.default("/run/log"),
    /** s6-log script of the catch-all logger that collates every service's log. */
    script: z.string().min(1).default("t"),
    persistent: { enable: z.boolean().default(false) },
  },
  hardware: {
    defaultOutput: z.enum(outputs),
    alignment: unsigned.nullable().default(null),
    dts: {
      src: z.string().nullable().default(null),
      includes: z.array(z.string()).default([]),
      includePaths: z.array(z.string()).default([]),
      /** The kernel carries the board's tree itself and ignores the boot loader's (QEMU's Malta): RAM boot passes what it needs on the command line. */
      builtIn: z.boolean().default(false),
    },
    entryPoint: unsigned.optional(),
    loadAddress: unsigned.optional(),
    flash: { address: unsigned.optional(), eraseBlockSize: unsigned.optional(), size: unsigned.optional() },
    ram: { startAddress: z.number().int().optional() },
    rootDevice: z.string().optional(),
    radios: z.array(z.string()).default([]),
    networkInterfaces: z.record(z.string(), z.instanceof(Service)).default({}),
    ubi: {
      logicalEraseBlockSize: positive.optional(),
      maxLEBcount: positive.optional(),
      minIOSize: positive.optional(),
      physicalEraseBlockSize: positive.optional(),
    },
  },
};

export type BaseShape = typeof baseOptions;
