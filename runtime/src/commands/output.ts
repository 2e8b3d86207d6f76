// `output SERVICE KEY` prints one output of a service, for shell scripts: $(output wan address).
// `output --set [--secret] SERVICE KEY [VALUE]` writes one (VALUE, or standard input), atomically.
import * as std from "qjs:std";
import { readAll } from "../lib/process";
import { decode } from "../lib/utf8";
import { publicMode, readOutput, secretMode, writeOutput } from "../svc/outputs";

const usage = "usage: output SERVICE KEY | output --set [--secret] SERVICE KEY [VALUE]";
const help = `${usage}
  output SERVICE KEY                  prints SERVICE's output KEY (a name, or names: ipv6/prefix)
  output --set SERVICE KEY [VALUE]    writes it (VALUE, else standard input) at once; every user
                                      may read it (0644)
  output --set --secret ...           only its owner, the writer, may read it (0600): a password,
                                      a key. Each write says again which it is.
`;

export function main(args: string[]): number {
  if (args[0] === "--help") {
    std.out.puts(help);
    return 0;
  }
  const set = args[0] === "--set";
  const secret = set && args[1] === "--secret";
  const [service, key, value, ...extra] = args.slice((set ? 1 : 0) + (secret ? 1 : 0));
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
      writeOutput(service, key, value ?? decode(readAll(0)), secret ? secretMode : publicMode);
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
