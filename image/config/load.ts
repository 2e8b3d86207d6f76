// Loading a configuration file and a device descriptor (both TypeScript, imported as modules).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError, thrownBy } from "./errors.ts";
import { isFromThisCopy, type Device, type UserConfig } from "./module.ts";

export const devicesDirectory = fileURLToPath(new URL("../../devices/", import.meta.url));

async function defaultExport(file: string, what: string): Promise<unknown> {
  if (!existsSync(file)) throw new ConfigError("(file)", file, `${what} file does not exist`);
  try {
    const mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
    return mod.default;
  } catch (e) {
    throw thrownBy(e, file, "(file)", "while loading");
  }
}

export async function loadConfig(file: string): Promise<UserConfig> {
  const c = await defaultExport(file, "configuration");
  if (typeof c !== "object" || c === null || (c as { kind?: unknown }).kind !== "config") {
    throw new ConfigError("default export", file, "must be defineConfig({...}) from image/config");
  }
  if (!isFromThisCopy(c as UserConfig)) {
    throw new ConfigError(
      "default export",
      file,
      'was loaded as CommonJS, with its own copy of image/config: name it .mts, or put it below a package.json with "type": "module"',
    );
  }
  return c as UserConfig;
}

export async function loadDevice(name: string): Promise<Device> {
  const file = resolve(devicesDirectory, name, "index.ts");
  const d = await defaultExport(file, `device "${name}"`);
  if (typeof d !== "object" || d === null || (d as { kind?: unknown }).kind !== "device") {
    throw new ConfigError("default export", file, "must be defineDevice({...}) from image/config");
  }
  return d as Device;
}
