// Runtime secrets: services that fetch secrets from outside the image (outboard over HTTPS, tang
// from a Clevis/Tang file) and publish them as outputs, which other services read through
// outputRef, rendered at their start into private files (`secrets` of longrun and oneshot); and
// the subscriber that restarts what reads them when they change. secrets.store, from a file
// system beside the image, is a module of its own (services/secrets-store).
import { defineModule } from "../../image/config/index.ts";
import { outboard } from "./outboard.ts";
import { subscriber } from "./subscriber.ts";
import { tang } from "./tang.ts";

export default defineModule({
  name: "secrets",
  svc: { outboard, subscriber, tang },
});
