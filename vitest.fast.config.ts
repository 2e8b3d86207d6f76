// `npm run test:fast`: the whole configuration, with only the fast tier's folders.
import { defineConfig } from "vitest/config";
import base, { fastFolders } from "./vitest.config.ts";

export default defineConfig({
  ...base,
  test: { ...base.test, include: fastFolders.map((f) => `test/${f}/**/*.test.ts`) },
});
