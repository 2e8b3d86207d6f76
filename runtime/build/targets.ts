// The CPUs the runtime is built for, and how each is compiled. Router CPUs first; x86_64 runs the tests.
export interface Target {
  /** Name used in file names and `limen --version`. */
  cpu: "x86_64" | "aarch64" | "armv7" | "mipsel" | "mips";
  /** GNU triple of Debian's cross gcc (and of its linux-libc-dev-*-cross headers). */
  gnu: string;
  /** Debian architecture of the musl packages; undefined when musl is built from source. */
  debArch: string | undefined;
  /** Debian architecture name in linux-libc-dev-<name>-cross. */
  kernelHeaders: string;
  /** qemu-user program that runs this CPU's binaries on the host; undefined for the host itself. */
  qemu: string | undefined;
  bigEndian: boolean;
  /** Machine and byte order as `file` reports them, for checks. */
  fileMachine: RegExp;
  cflags: string[];
}

// Non-PIC code is valid in a static executable and much smaller on MIPS than the default abicalls.
const mipsFlags = ["-mno-abicalls", "-fno-pic", "-mplt"];

export const targets: Target[] = [
  {
    cpu: "x86_64",
    gnu: "x86_64-linux-gnu",
    debArch: "amd64",
    kernelHeaders: "amd64",
    qemu: undefined,
    bigEndian: false,
    fileMachine: /ELF 64-bit LSB .*x86-64/,
    cflags: [],
  },
  {
    cpu: "aarch64",
    gnu: "aarch64-linux-gnu",
    debArch: "arm64",
    kernelHeaders: "arm64",
    qemu: "qemu-aarch64-static",
    bigEndian: false,
    fileMachine: /ELF 64-bit LSB .*ARM aarch64/,
    cflags: [],
  },
  {
    cpu: "armv7",
    gnu: "arm-linux-gnueabihf",
    debArch: "armhf",
    kernelHeaders: "armhf",
    qemu: "qemu-arm-static",
    bigEndian: false,
    fileMachine: /ELF 32-bit LSB .*ARM, EABI5/,
    cflags: ["-march=armv7-a+fp", "-mfloat-abi=hard", "-mthumb"],
  },
  {
    cpu: "mipsel",
    gnu: "mipsel-linux-gnu",
    debArch: "mipsel",
    kernelHeaders: "mipsel",
    qemu: "qemu-mipsel-static",
    bigEndian: false,
    fileMachine: /ELF 32-bit LSB .*MIPS/,
    cflags: mipsFlags,
  },
  {
    cpu: "mips",
    gnu: "mips-linux-gnu",
    debArch: undefined,
    kernelHeaders: "mips",
    qemu: "qemu-mips-static",
    bigEndian: true,
    fileMachine: /ELF 32-bit MSB .*MIPS/,
    cflags: mipsFlags,
  },
];

export function targetByCpu(cpu: string): Target {
  const t = targets.find((x) => x.cpu === cpu);
  if (!t) throw new Error(`unknown CPU "${cpu}": expected one of ${targets.map((x) => x.cpu).join(", ")}`);
  return t;
}
