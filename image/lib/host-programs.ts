// Every host program the build and the tests run, with the Debian package that provides it: the one
// list that `npm run image`, `npm test` and .ci/run check, so they never disagree. An entry starting
// with "/" is a file (a program outside PATH, or data such as a keyring or firmware).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { z } from "zod";

/** `build`: the runtime and image builds need it; `test`: only the tests do. */
export type Need = "build" | "test";

export const hostPrograms = {
  // the runtime build: compilers for every CPU, and qemu-user to run its cross-built tools
  gcc: ["gcc", "build"],
  make: ["make", "build"],
  file: ["file", "build"],
  "aarch64-linux-gnu-gcc": ["gcc-aarch64-linux-gnu", "build"],
  "arm-linux-gnueabihf-gcc": ["gcc-arm-linux-gnueabihf", "build"],
  "mipsel-linux-gnu-gcc": ["gcc-mipsel-linux-gnu", "build"],
  "mips-linux-gnu-gcc": ["gcc-mips-linux-gnu", "build"],
  "qemu-aarch64-static": ["qemu-user-static", "build"],
  "qemu-arm-static": ["qemu-user-static", "build"],
  "qemu-mipsel-static": ["qemu-user-static", "build"],
  "qemu-mips-static": ["qemu-user-static", "build"],
  // Debian packages: fetched by apt-get with the archive's key, unpacked by dpkg
  "apt-get": ["apt", "build"],
  "dpkg-deb": ["dpkg", "build"],
  "dpkg-source": ["dpkg-dev", "build"],
  "/usr/share/keyrings/debian-archive-keyring.gpg": ["debian-archive-keyring", "build"],
  "/etc/ssl/certs/ca-certificates.crt": ["ca-certificates", "build"],
  // root filesystems and ELF dependencies
  readelf: ["binutils", "build"],
  mksquashfs: ["squashfs-tools", "build"],
  "mkfs.ubifs": ["mtd-utils", "build"],
  cpio: ["cpio", "build"],
  xz: ["xz-utils", "build"],
  tar: ["tar", "build"],
  // kernels, device trees and U-Boot images
  flex: ["flex", "build"],
  bison: ["bison", "build"],
  bc: ["bc", "build"],
  perl: ["perl", "build"],
  cpp: ["cpp", "build"],
  dtc: ["device-tree-compiler", "build"],
  fdtput: ["device-tree-compiler", "build"],
  fdtget: ["device-tree-compiler", "build"],
  mkimage: ["u-boot-tools", "build"],
  // firewall rulesets are checked by nft in a network namespace of its own
  nft: ["nftables", "build"],
  unshare: ["util-linux", "build"],
  // vmroot's run.sh
  "qemu-system-aarch64": ["qemu-system-arm", "build"],
  "qemu-system-arm": ["qemu-system-arm", "build"],
  "qemu-system-mipsel": ["qemu-system-mips", "build"],
  // run.sh --connect joins a background router's console; --host-port relays with it
  socat: ["socat", "build"],
  // the tests: s6 under svc, Tang and clevis, network namespaces, disks, U-Boot under QEMU
  // npm test's format check of runtime/native
  "clang-format": ["clang-format", "test"],
  "s6-svscan": ["s6", "test"],
  "/usr/libexec/tangd": ["tang", "test"],
  "/usr/libexec/tangd-keygen": ["tang", "test"],
  clevis: ["clevis", "test"],
  jose: ["jose", "test"],
  openssl: ["openssl", "test"],
  ssh: ["openssh-client", "test"],
  "ssh-keygen": ["openssh-client", "test"],
  "ssh-keyscan": ["openssh-client", "test"],
  ip: ["iproute2", "test"],
  ss: ["iproute2", "test"],
  nsenter: ["util-linux", "test"],
  flock: ["util-linux", "test"],
  losetup: ["mount", "test"],
  sfdisk: ["fdisk", "test"],
  "mkfs.ext2": ["e2fsprogs", "test"],
  debugfs: ["e2fsprogs", "test"],
  // the lab's secrets stores
  "mkfs.ext4": ["e2fsprogs", "build"],
  dhcpcd: ["dhcpcd-base", "test"],
  "kea-dhcp6": ["kea-dhcp6-server", "test"],
  dumpimage: ["u-boot-tools", "test"],
  unsquashfs: ["squashfs-tools", "test"],
  fdtdump: ["device-tree-compiler", "test"],
  pgrep: ["procps", "test"],
  "/usr/lib/u-boot/qemu_arm64/u-boot.bin": ["u-boot-qemu", "test"],
  "/usr/lib/u-boot/maltael/u-boot.bin": ["u-boot-qemu", "test"],
} as const satisfies Record<string, readonly [pkg: string, need: Need]>;

export type HostProgram = keyof typeof hostPrograms;

/** Where to look and who runs: the process's own by default, replaceable for the check's test. */
export interface HostEnv {
  path: string;
  uid: number;
}

const ownEnv = (): HostEnv => ({ path: process.env.PATH ?? "", uid: process.getuid?.() ?? -1 });

function present(program: string, env: HostEnv): boolean {
  if (program.startsWith("/")) return existsSync(program);
  return env.path.split(delimiter).some((d) => d !== "" && existsSync(join(d, program)));
}

/** The packages (sorted, each once) providing the programs missing from `env`. */
export function missingPackages(programs: readonly string[], env: HostEnv = ownEnv()): string[] {
  const table: Record<string, readonly [string, Need]> = hostPrograms;
  const packages = programs.map((p) => {
    const entry = table[p];
    if (!entry) throw new Error(`host program ${p} is not in image/lib/host-programs.ts: add it with its package`);
    return present(p, env) ? undefined : entry[0];
  });
  return [...new Set(packages.filter((p) => p !== undefined))].sort();
}

export function programsFor(need: Need): HostProgram[] {
  return (Object.keys(hostPrograms) as HostProgram[]).filter((p) => need === "test" || hostPrograms[p][1] === need);
}

/** The line that installs `packages`, as a user who is not root types it. */
export const installLine = (packages: string[]): string =>
  `sudo apt-get install -y --no-install-recommends ${packages.join(" ")}`;

/**
 * Installs the packages of missing programs when running as root (Debian/Ubuntu); otherwise throws
 * the exact line that installs them. Tests call it first so a missing program fails with that line,
 * never with a timeout.
 */
export function ensureCommands(programs: readonly string[], env: HostEnv = ownEnv()): void {
  const missing = missingPackages(programs, env);
  if (missing.length === 0) return;
  if (env.uid !== 0) throw new Error(`missing host programs; install them with:\n  ${installLine(missing)}`);
  console.error(`installing host programs: ${missing.join(" ")}`);
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  const install =
    update.status === 0
      ? spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
          stdio: "inherit",
          env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
        })
      : update;
  if (install.status !== 0)
    throw new Error(
      `could not install ${missing.join(" ")}: run apt-get install ${missing.join(" ")} and read its errors`,
    );
  const still = missingPackages(programs, env);
  if (still.length > 0)
    throw new Error(`installed ${missing.join(" ")}, yet still missing programs of ${still.join(" ")}`);
}

/** Every program `need` asks for: `npm run image` checks "build", `npm test` "test" (which includes build). */
export function ensureHostPrograms(need: Need): void {
  ensureCommands(programsFor(need));
}

// `tsx image/lib/host-programs.ts check build|test`: the check npm runs first;
// `tsx image/lib/host-programs.ts packages`: every package, one a line, for .ci/run.
const Cli = z.union([z.tuple([z.literal("check"), z.enum(["build", "test"])]), z.tuple([z.literal("packages")])]);

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = Cli.safeParse(process.argv.slice(2));
  if (!args.success) {
    console.error("usage: tsx image/lib/host-programs.ts check build|test | packages");
    process.exit(2);
  }
  if (args.data[0] === "packages") {
    console.log([...new Set(Object.values(hostPrograms).map(([p]) => p))].sort().join("\n"));
  } else {
    try {
      ensureHostPrograms(args.data[1]);
    } catch (e) {
      console.error((e as Error).message);
      process.exit(1);
    }
  }
}
