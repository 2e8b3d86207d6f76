// What the image builder imports: a kernel for a compiled system, or for any CPU and options.
import { readFile } from "node:fs/promises";
import type { SystemDescription } from "../config/compile.ts";
import { buildKernel, type Kernel } from "./build.ts";
import { parseConfig } from "./kconfig.ts";
import { checkBuiltIn, sourceModules } from "./modules.ts";
import { kernelSource } from "./source.ts";

export { buildKernel, type Kernel, type KernelRequest } from "./build.ts";
export { KernelConfigError, configBases, type ConfigBase } from "./config.ts";
export { kernelArches, type KernelArch } from "./arch.ts";
export { compileDtb, type DeviceTreeRequest } from "./dtb.ts";
export { fitImage, type FitRequest, type FitCompression } from "./fit.ts";

/**
 * The kernel of a compiled system: its device's CPU, its kernel options (device's and modules'), its make targets;
 * with every kernel module a service declares built in (its image ships no modules).
 */
export async function kernelForSystem(system: SystemDescription, progress?: (line: string) => void): Promise<Kernel> {
  const kernel = await buildKernel({
    cpu: system.device.cpu,
    config: system.kernel.config,
    makeTargets: system.kernel.makeTargets,
    ...(progress ? { progress } : {}),
  });
  const modules = await sourceModules(await kernelSource());
  checkBuiltIn(system, modules, parseConfig(await readFile(kernel.config, "utf8")));
  return kernel;
}
