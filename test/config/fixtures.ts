// A minimal device for tests (the hardware options only) and the configuration error a run ends with.
import { ConfigError } from "../../image/config/errors.ts";
import { defineDevice } from "../../image/config/module.ts";

export const testDevice = defineDevice({
  name: "test",
  cpu: "aarch64",
  debianArch: "arm64",
  config: { hardware: { defaultOutput: "vmroot" } },
});

export function failure(run: () => unknown): ConfigError {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError, but evaluation succeeded");
}
