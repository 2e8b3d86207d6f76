// A service database entry for tests: the fields a test names over a plain service's defaults.
// Shared by the host tests and the engine's fuzz seeds (whose module resolutions differ: only a
// type is imported, which both accept with its extension).
import type { ServiceEntry } from "../../runtime/src/svc/database.ts";

export function serviceEntry(fields: Pick<ServiceEntry, "type"> & Partial<ServiceEntry>): ServiceEntry {
  return {
    dependencies: [],
    controlled: false,
    timeoutUp: 0,
    timeoutDown: 0,
    notificationFd: null,
    outputs: [],
    outputRefs: [],
    kernelModules: [],
    ...fields,
  };
}
