// `npm run docs`: writes OPTIONS.md, the option reference, at the top of the checkout.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { optionsReference } from "./reference.ts";

const file = join(import.meta.dirname, "../../OPTIONS.md");
writeFileSync(file, await optionsReference());
console.error(`wrote ${file}`);
