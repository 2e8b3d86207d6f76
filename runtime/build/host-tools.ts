// The host programs the runtime and image builds need, with the Debian packages that provide them.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { targets } from "./targets.ts";

const required: [command: string, pkg: string][] = [
  ["gcc", "gcc"],
  ["apt-get", "apt"],
  ["dpkg-deb", "dpkg"],
  ["dpkg-source", "dpkg-dev"],
  ["make", "make"],
  ["file", "file"],
  // the image builder: ELF dependencies, root filesystems, and run.sh's emulators
  ["readelf", "binutils"],
  ["mksquashfs", "squashfs-tools"],
  ["qemu-system-aarch64", "qemu-system-arm"],
  ["qemu-system-mipsel", "qemu-system-mips"],
  ...targets.filter((t) => t.cpu !== "x86_64").map((t): [string, string] => [`${t.gnu}-gcc`, `gcc-${t.gnu}`]),
  ...targets.flatMap((t): [string, string][] => (t.qemu ? [[t.qemu, "qemu-user-static"]] : [])),
];

function has(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

export function ensureHostTools(): void {
  ensureCommands(required);
}

/** Installs the packages of missing commands when running as root on Debian/Ubuntu; otherwise says exactly what to install. */
export function ensureCommands(required: [command: string, pkg: string][]): void {
  const missing = [...new Set(required.filter(([c]) => !has(c)).map(([, p]) => p))];
  if (!existsSync("/usr/share/keyrings/debian-archive-keyring.gpg")) missing.push("debian-archive-keyring");
  if (missing.length === 0) return;
  const command = ["apt-get", "install", "-y", "--no-install-recommends", ...missing];
  if (process.getuid?.() !== 0) {
    throw new Error(`missing build tools; install them with:\n  sudo ${command.join(" ")}`);
  }
  console.log(`installing build tools: ${missing.join(" ")}`);
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  const install =
    update.status === 0
      ? spawnSync(command[0], command.slice(1), {
          stdio: "inherit",
          env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
        })
      : update;
  if (install.status !== 0)
    throw new Error(`could not install ${missing.join(" ")}: run ${command.join(" ")} and look at its errors`);
}
