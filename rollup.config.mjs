// Bundles device programs for QuickJS-ng: an entry module (main.js) and one chunk per lazily
// loaded module. Engine and native modules stay external.
import { readFileSync } from "node:fs";
import replace from "@rollup/plugin-replace";
import typescript from "@rollup/plugin-typescript";

/** @type {(text: string) => { version: string }} */
const readPackage = JSON.parse;
const { version } = readPackage(readFileSync(new URL("./package.json", import.meta.url), "utf8"));

/**
 * A device program: `entry` becomes main.js in `dir`, type-checked with `tsconfig`.
 * @param {string} entry
 * @param {string} dir
 * @param {string} tsconfig
 * @returns {import("rollup").RollupOptions}
 */
export function deviceBundle(entry, dir, tsconfig) {
  return {
    input: { main: entry },
    external: (id) => id.startsWith("qjs:") || id.startsWith("limen:"),
    plugins: [
      replace({ preventAssignment: true, values: { LIMEN_VERSION: JSON.stringify(version) } }),
      typescript({ tsconfig, outDir: dir, noEmitOnError: true }),
    ],
    output: { dir, format: "es", entryFileNames: "[name].js", chunkFileNames: "[name].js", generatedCode: "es2015" },
    onwarn(warning) {
      throw new Error(`rollup: ${warning.message}`);
    },
  };
}

export default deviceBundle("runtime/src/main.ts", "build/bundle", "runtime/src/tsconfig.json");
