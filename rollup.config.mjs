// Bundles the device program (runtime/src) into ES modules for QuickJS-ng: the entry point
// and one chunk per lazily loaded command. Engine and native modules stay external.
import { readFileSync } from "node:fs";
import replace from "@rollup/plugin-replace";
import typescript from "@rollup/plugin-typescript";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

export default {
  input: { main: "runtime/src/main.ts" },
  external: (id) => id.startsWith("qjs:") || id.startsWith("limen:"),
  plugins: [
    replace({ preventAssignment: true, values: { LIMEN_VERSION: JSON.stringify(version) } }),
    typescript({ tsconfig: "runtime/src/tsconfig.json", outDir: "build/bundle", noEmitOnError: true }),
  ],
  output: {
    dir: "build/bundle",
    format: "es",
    entryFileNames: "[name].js",
    chunkFileNames: "[name].js",
    generatedCode: "es2015",
  },
  onwarn(warning) {
    throw new Error(`rollup: ${warning.message}`);
  },
};
