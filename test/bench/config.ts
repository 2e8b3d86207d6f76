// How long evaluating and compiling a configuration takes (loading the TypeScript included).
//   npx tsx test/bench/config.ts [config] [device]
import { performance } from "node:perf_hooks";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { loadConfig, loadDevice } from "../../image/config/load.ts";
import { scaled } from "./common.ts";

const [config = "examples/demo.ts", device = "qemu-aarch64"] = process.argv.slice(2);
const t0 = performance.now();
const [c, d] = [await loadConfig(config), await loadDevice(device)];
const t1 = performance.now();
const system = compile(evaluate(c, d));
const t2 = performance.now();
const rounds = scaled(20, 1);
for (let i = 0; i < rounds; i++) compile(evaluate(await loadConfig(config), d));
const t3 = performance.now();
console.log(
  `${config} for ${device}: load ${(t1 - t0).toFixed(0)} ms, first evaluate+compile ${(t2 - t1).toFixed(1)} ms, then ${((t3 - t2) / rounds).toFixed(1)} ms each; ${Object.keys(system.database.services).length} services, ${system.files.length} files`,
);
