// `output SERVICE KEY` prints one output of a service, for shell scripts: $(output wan address).
// `output --set SERVICE KEY [VALUE]` writes one (VALUE, or standard input), atomically.
import * as std from "qjs:std";
import { readAll } from "../lib/process";
import { decode } from "../lib/utf8";
import { readOutput, writeOutput } from "../svc/outputs";

const usage = "usage: output SERVICE KEY | output --set SERVICE KEY [VALUE]";

export function main(args: string[]): number {
  const set = args[0] === "--set";
  const [service, key, value, ...extra] = set ? args.slice(1) : args;
  if (
    service === undefined ||
    key === undefined ||
    extra.length > 0 ||
    (!set && value !== undefined) ||
    service.startsWith("-")
  ) {
    std.err.puts(`${usage}\n`);
    return 100;
  }
  try {
    if (set) {
      writeOutput(service, key, value ?? decode(readAll(0)));
      return 0;
    }
    const text = readOutput(service, key);
    if (text === null) {
      std.err.puts(`output: ${service} has no output ${key}\n`);
      return 1;
    }
    std.out.puts(text);
    return 0;
  } catch (e) {
    std.err.puts(`output: ${e instanceof Error ? e.message : String(e)}\n`);
    return 111;
  }
}
