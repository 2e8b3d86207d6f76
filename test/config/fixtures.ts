// A minimal device for tests: the hardware options only.
import { defineDevice } from "../../image/config/module.ts";

export const testDevice = defineDevice({ name: "test", cpu: "aarch64", debianArch: "arm64", config: { hardware: { defaultOutput: "vmroot" } } });
