// How the kernel is built for each device CPU: Linux's ARCH, Debian's cross compiler, and the
// make target whose file boots the device by default (a device may ask for other targets).
import type { Cpu } from "../config/module.ts";

export interface KernelArch {
  /** ARCH= for make. */
  arch: string;
  /** CROSS_COMPILE= for make: Debian's cross gcc prefix. */
  crossCompile: string;
  /** Debian package holding the cross compiler, for the error when it is missing. */
  compilerPackage: string;
  /** Default make target and the file it produces, relative to the build folder. */
  target: string;
  image: string;
}

export const kernelArches: Record<Cpu, KernelArch> = {
  aarch64: {
    arch: "arm64",
    crossCompile: "aarch64-linux-gnu-",
    compilerPackage: "gcc-aarch64-linux-gnu",
    target: "Image",
    image: "arch/arm64/boot/Image",
  },
  armv7: {
    arch: "arm",
    crossCompile: "arm-linux-gnueabihf-",
    compilerPackage: "gcc-arm-linux-gnueabihf",
    target: "zImage",
    image: "arch/arm/boot/zImage",
  },
  // MIPS boot loaders take the ELF (QEMU's -kernel) or a uImage made from it by the image step.
  mipsel: {
    arch: "mips",
    crossCompile: "mipsel-linux-gnu-",
    compilerPackage: "gcc-mipsel-linux-gnu",
    target: "vmlinux",
    image: "vmlinux",
  },
  mips: {
    arch: "mips",
    crossCompile: "mips-linux-gnu-",
    compilerPackage: "gcc-mips-linux-gnu",
    target: "vmlinux",
    image: "vmlinux",
  },
};

// MIPS's compressed kernels are written at the top of the build folder, like vmlinux.
const topLevelTargets = new Set(["vmlinux", "vmlinuz", "vmlinuz.bin", "vmlinuz.ecoff", "vmlinuz.srec"]);

/** Where a make target's output is, relative to the build folder: boot images, or the dts folder for dtbs. */
export function targetFile(a: KernelArch, target: string): string {
  if (topLevelTargets.has(target)) return target;
  if (target === "dtbs") return `arch/${a.arch}/boot/dts`;
  return `arch/${a.arch}/boot/${target}`;
}
