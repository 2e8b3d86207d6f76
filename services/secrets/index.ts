// Runtime secrets: services that fetch secrets from outside the image (outboard over HTTPS, tang
// from a Clevis/Tang file, store from a file system beside the image) and publish them as outputs,
// which other services read through outputRef, rendered at their start into private files
// (`secrets` of longrun and oneshot); and the subscriber that restarts what reads them when they
// change.
import { defineModule } from "../../image/config/index.ts";
import { outboard } from "./outboard.ts";
import { subscriber } from "./subscriber.ts";
import { store } from "./store.ts";
import { tang } from "./tang.ts";

export default defineModule({
  name: "secrets",
  // the store's script
  config: { programs: { busybox: { applets: ["mount", "umount", "mkdir", "cp"] } } },
  svc: { outboard, store, subscriber, tang },
});
