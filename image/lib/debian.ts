// The Debian release Limen takes its packages, musl and kernels from.
import { AptRepo } from "./apt.ts";

/** Debian architectures of the CPUs Limen builds for, with their multiarch triples. */
export const debianArchitectures = {
  amd64: "x86_64-linux-gnu",
  arm64: "aarch64-linux-gnu",
  armhf: "arm-linux-gnueabihf",
  mipsel: "mipsel-linux-gnu",
} as const;
export type DebianArch = keyof typeof debianArchitectures;
/** The Debian architectures of the devices: amd64 only builds and tests on the host. */
export type DeviceArch = Exclude<DebianArch, "amd64">;

export const bookworm = new AptRepo({
  name: "bookworm",
  suites: ["bookworm"],
  architectures: Object.keys(debianArchitectures),
  sources: true,
});

/** Only for qjs-src: QuickJS-ng is not in bookworm. */
export const sid = new AptRepo({ name: "sid", suites: ["sid"], architectures: ["amd64"] });
