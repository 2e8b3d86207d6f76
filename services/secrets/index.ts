// Runtime secrets: services that fetch secrets and publish them as outputs, and the subscriber
// that restarts what reads them when they change. Services read secrets through outputRef,
// rendered at their start into private files (`secrets` of longrun and oneshot).
import { defineModule } from "../../image/config/index.ts";
import { subscriber } from "./subscriber.ts";
import { tang } from "./tang.ts";

export default defineModule({
  name: "secrets",
  svc: { subscriber, tang },
});
