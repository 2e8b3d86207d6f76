// Runtime secrets: services that fetch secrets from outside the image and publish them as
// outputs, which other services read through outputRef.
import { defineModule } from "../../image/config/index.ts";
import { outboard } from "./outboard.ts";

export default defineModule({
  name: "secrets",
  svc: { outboard },
});
