// The base options every configuration has (the manual's Appendix B "Base options", "Busybox",
// "Hardware-dependent options", hostname, kernel, logging, boot and users). Modules add their own.
// Each option has a one-line description (the option reference, OPTIONS.md, is made from them)
// and is read by something (test/config/options-read.test.ts); one that is not built yet
// accepts only its default (notYet).
import { z } from "zod";
import { groupsOption, usersOption } from "./accounts.ts";
import { absolutePath, fileTree } from "./files.ts";
import { hostName, hostsOption } from "./hosts.ts";
import { outputs } from "./outputs.ts";
import { Service } from "./service.ts";
import { sysctlOption } from "./sysctl.ts";

const kconfigName = z.string().regex(/^[A-Z0-9_]+$/, "must be a Kconfig symbol without the CONFIG_ prefix");
/** As a .config line holds it after "=": y, m, n, a number, or a string in double quotes (with \" and \\). */
const kconfigValue = z
  .string()
  .regex(
    /^(y|m|n|-?[0-9]+|0x[0-9A-Fa-f]+|"([^"\\\p{Cc}]|\\["\\])*")$/u,
    'must be y, m, n, a number or a "quoted string" (one line)',
  );
const kconfig = z.record(kconfigName, kconfigValue);
/** A word of the kernel's command line (root=, rootflags= values too): a space would start another parameter. */
const kernelWord = z
  .string()
  .regex(/^[^\s"'\\\p{Cc}]+$/u, "must be one word: no white space, quotes, backslashes or control characters");
const unsigned = z.number().int().min(0);
const positive = z.number().int().min(1);
/** An architecture-independent package is named with ":all" (its files are the same on every device). */
const packageName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9+.-]+(:all)?$/,
    'must be a Debian package name (with ":all" if it is architecture-independent)',
  );
/**
 * A package's name ships all its executables; `{ name, files }` only the files named (libraries come by themselves).
 */
const packageEntry = z.union([
  packageName,
  z.strictObject({ name: packageName, files: z.array(absolutePath).min(1, "must name at least one file") }),
]);
export type PackageEntry = z.output<typeof packageEntry>;

/**
 * An option whose feature is not built yet: the schema accepts only its default and refuses
 * anything else with "not yet" and why. `refused` is a value it refuses, for the test of the refusal.
 */
function notYet<S extends z.ZodType>(schema: S, value: z.output<S>, refused: z.input<S>, why: string) {
  const same = (v: unknown) => JSON.stringify(v) === JSON.stringify(value);
  return schema
    .default(value as never)
    .refine(same, `not yet: ${why}`)
    .meta({ notYet: { refused, why } });
}

/** Root file system types the outputs build (squashfs: vmroot, mtdimage, tftpboot; ubifs: ubimage). */
const builtRootfs = ["squashfs", "ubifs"];

export const baseOptions = {
  hostname: hostName
    .max(63, "must be at most 63 characters (the kernel's limit)")
    .default("limen")
    .describe("The router's host name, written to /etc/hostname and set at boot."),
  hosts: hostsOption
    .default({})
    .describe(
      "Static names by address for /etc/hosts, after localhost and the host name (which goes on 127.0.1.1 unless named here).",
    ),
  sysctl: sysctlOption
    .default({})
    .describe("Kernel parameters init sets at boot (net.ipv4.tcp_syncookies: 1), over the router defaults."),
  services: z
    .record(
      z.string().min(1),
      z
        .instanceof(Service, { message: "expected a service (built with longrun, oneshot, bundle or a template)" })
        .meta({ type: "service" }),
    )
    .default({})
    .describe("The services of the system; what they depend on, control or watch joins them."),
  packages: z
    .array(packageEntry)
    .default([])
    .describe(
      "Debian packages to ship: a name for all its executables, { name, files } for the files named (libraries follow).",
    ),
  defaultProfile: {
    packages: z
      .array(packageEntry)
      .default([])
      .describe("Packages for a person at the login shell (tcpdump, say); shipped as packages are."),
  },
  filesystem: fileTree
    .default({})
    .meta({ type: "record of { type: file, directory or symlink, … }" })
    .describe("Files, directories and symbolic links to put in the root tree, by absolute path."),
  rootfsType: z
    .enum(["btrfs", "ext4", "jffs2", "squashfs", "ubifs"])
    .default("squashfs")
    .refine((t) => builtRootfs.includes(t), {
      error: (issue) =>
        `no output builds a ${String(issue.input)} root file system yet (${builtRootfs.join(" and ")} are built)`,
    })
    .describe(
      "Type of the root file system the output makes: squashfs (vmroot, mtdimage, tftpboot) or ubifs (ubimage).",
    ),
  rootOptions: kernelWord
    .nullable()
    .default(null)
    .describe("Mount options of the root file system, given to the kernel as rootflags= (mtdimage, ubimage)."),
  users: usersOption
    .default({})
    .describe(
      'Accounts by name: uid, gid, home, shell, passwd (a crypt hash or a lock; "" needs passwordless: true) and ssh keys.',
    ),
  groups: groupsOption.default({}).describe("Groups by name: gid and member user names, for /etc/group."),
  programs: {
    busybox: {
      applets: z
        .array(z.string().regex(/^[a-z0-9_.[-]+$/, "must be a busybox applet name"))
        .default([])
        .describe("Busybox applets to link in /bin (a program of the same name from a package wins)."),
      adminApplets: z
        .boolean()
        .default(true)
        .describe(
          "Link the applets a person administering the router expects (ps, ping, vi, wget…); false leaves the links out.",
        ),
      options: notYet(
        kconfig,
        {},
        { FEATURE_EDITING: "y" },
        "busybox comes built from Debian's busybox package, whose build options cannot change",
      ).describe("Busybox build options (Kconfig symbols without CONFIG_); only {} until busybox is built here."),
    },
  },
  kernel: {
    config: kconfig
      .default({})
      .describe('Kconfig options of a kernel built from source (without CONFIG_), e.g. { BRIDGE: "y" }.'),
    conditionalConfig: z
      .record(kconfigName, kconfig)
      .default({})
      .describe("Kconfig options added only where kernel.config sets the key's symbol to y or m."),
    makeTargets: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/, "must be a make target (no =, white space or leading -)")
          .refine((t) => !t.split("/").includes(".."), "must not contain .. parts"),
      )
      .default([])
      .describe("Make targets built beside the kernel image (vmlinux.bin for a MIPS kernel U-Boot loads raw)."),
    loadModules: z
      .array(z.string().regex(/^[A-Za-z0-9_-]+$/, "must be a kernel module name"))
      .default([])
      .describe("Kernel modules preinit loads before mounting the root, where the kernel builds a driver as a module."),
    version: notYet(
      z.string(),
      "6.1",
      "6.6",
      "kernels are built from Debian bookworm's linux-source-6.1 (and the emulated devices boot Debian's 6.1)",
    ).describe("Linux version of the kernel; only 6.1 for now."),
  },
  boot: {
    commandLine: z
      .array(kernelWord)
      .default([])
      .describe("Kernel command line words; the output adds the root device's."),
    commandLineDtbNode: z
      .enum(["bootargs", "bootargs-override"])
      .default("bootargs")
      .describe("Property of the device tree's /chosen node that gets the command line."),
    imageFormat: z
      .enum(["fit", "uimage"])
      .default("uimage")
      .describe("How U-Boot is given the kernel: a FIT image (with its device tree) or a uImage."),
    imageType: notYet(
      z.enum(["primary", "secondary"]),
      "primary",
      "secondary",
      "the primary/secondary (A/B) firmware images come with the update work",
    ).describe("Which firmware image of an A/B flash layout to build; only primary for now."),
    tftp: {
      ipaddr: z
        .string()
        .optional()
        .describe("The router's IPv4 address in U-Boot scripts that fetch over TFTP (else U-Boot's own)."),
      serverip: z.string().optional().describe("The TFTP server's IPv4 address in U-Boot scripts (else U-Boot's own)."),
      loadAddress: unsigned
        .optional()
        .describe("RAM address where U-Boot receives files over TFTP: free RAM, not the kernel's load address."),
      appendDTB: z
        .boolean()
        .default(false)
        .describe("tftpboot: append the device tree to the kernel, for kernels that read it there."),
      compressRoot: z
        .boolean()
        .default(false)
        .describe("tftpboot: fetch the root image lzma-compressed and unpack it in U-Boot (quicker over slow TFTP)."),
      freeSpaceBytes: z
        .number()
        .int()
        .default(0)
        .describe("tftpboot: bytes of free space reserved after the root image in RAM."),
      kernelFormat: z
        .enum(["zimage", "uimage"])
        .default("uimage")
        .describe("tftpboot: how the kernel is booted, a zImage/Image (bootz, booti) or a uImage (bootm)."),
    },
  },
  logging: {
    directory: absolutePath
      .default("/run/log")
      .describe("Folder of the catch-all logger that collates every service's log (svc log reads it)."),
    script: z
      .string()
      .regex(/^[^\s'"\\]+(\s+[^\s'"\\]+)*$/, "must be s6-log directives separated by spaces, without quotes")
      .default("t s100000 n10")
      .describe("s6-log directives of the catch-all logger, before its folder (stamp, rotation size, archives kept)."),
    persistent: {
      enable: notYet(
        z.boolean(),
        false,
        true,
        "logs kept across reboots come with the life-cycle (updates) work",
      ).describe("Keep the log across reboots; only false for now."),
    },
  },
  hardware: {
    defaultOutput: z.enum(outputs).describe("The output npm run image makes when --output is not given."),
    alignment: unsigned
      .nullable()
      .default(null)
      .describe("FIT images: align each image's data to this many bytes after the FIT structure."),
    dts: {
      src: z
        .string()
        .nullable()
        .default(null)
        .describe("The board's device tree source, compiled with the kernel's includes."),
      includes: z.array(z.string()).default([]).describe("Device tree fragments included after the board's source."),
      includePaths: z.array(z.string()).default([]).describe("Further folders searched by the device tree's #include."),
      builtIn: z
        .boolean()
        .default(false)
        .describe(
          "The kernel carries the board's tree and ignores the boot loader's (QEMU's Malta): RAM boot uses the command line.",
        ),
    },
    entryPoint: unsigned.optional().describe("Address at which the kernel starts (uImage, FIT)."),
    loadAddress: unsigned.optional().describe("Address at which the boot loader places the kernel (uImage, FIT)."),
    flash: {
      address: unsigned
        .optional()
        .describe("Offset of the flash partition the image is written to (the firmware or UBI partition)."),
      eraseBlockSize: unsigned.optional().describe("The flash's erase block size in bytes."),
      size: unsigned.optional().describe("Size in bytes of that partition."),
    },
    rootDevice: kernelWord.optional().describe("The kernel's root= device: /dev/vda, /dev/mtdblock5, ubi0:liminix."),
    radios: notYet(
      z.array(z.string()),
      [],
      ["mt7915e"],
      "radio drivers are not loaded by name; put them in kernel.config or kernel.loadModules",
    ).describe("Kernel modules of the board's radios; only [] until radios are set up by name."),
    networkInterfaces: z
      .record(z.string(), z.instanceof(Service).meta({ type: "service" }))
      .default({})
      .describe("The board's network interfaces by role (lan, wan, wlan), as a configuration receives them."),
    ubi: {
      logicalEraseBlockSize: positive
        .optional()
        .describe("UBI: bytes of a logical erase block (the physical one less UBI's headers)."),
      maxLEBcount: positive.optional().describe("UBI: the most logical erase blocks the volume may have."),
      minIOSize: positive.optional().describe("UBI: the flash's page size, its smallest write."),
      physicalEraseBlockSize: positive.optional().describe("UBI: bytes of a physical erase block."),
    },
  },
};

export type BaseShape = typeof baseOptions;
