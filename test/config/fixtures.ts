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

/** Public keys of three ed25519 keys whose private halves were thrown away: authorized_keys lines to parse. */
export const testKeys = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPOhMb1odWO4GmWGNJvj0/W2XpR2WqExrUtDXYXThv6p one@test",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII0PvaRIqmZ3hKHnoqI1DhPl3jH1y3gdPop2I+1nfaOr two@test",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILJXd0R5QPgbxOTxQ6G3IV6roaB47mx2Av9TvMq/1UuV three@test",
] as const;
