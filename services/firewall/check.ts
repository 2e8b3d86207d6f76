// Build-time check of a ruleset by the nft of the build host (bookworm's, as on the device) in a
// network namespace of its own: `nft -c` parses and evaluates without changing anything. An error
// is reported at the option that wrote the offending line.
import { spawnSync } from "node:child_process";
import type { PathSegment } from "../../image/config/errors.ts";

export interface RulesetLine {
  text: string;
  /** The option the line came from, relative to the template's parameters; null for the template's own. */
  path: PathSegment[] | null;
}

export interface RulesetProblem {
  path: PathSegment[];
  message: string;
}

export function checkRuleset(lines: RulesetLine[]): RulesetProblem | null {
  const input = lines.map((l) => l.text).join("\n") + "\n";
  const r = spawnSync("unshare", ["-rn", "nft", "-c", "-f", "/dev/stdin"], { input, encoding: "utf8" });
  if (r.error) throw new Error(`firewall: cannot check the ruleset with nft (${r.error.message}); install nftables`);
  if (r.status === 0) return null;
  const errors = r.stderr.split("\n").filter((l) => l.includes("Error:"));
  if (errors.length === 0)
    throw new Error(`firewall: nft could not check the ruleset: ${r.stderr.trim() || `exit code ${r.status}`}`);
  const m = /^\/dev\/stdin:(\d+):[\d-]+: Error: (.*)$/.exec(errors[0]);
  const line = m ? lines[Number(m[1]) - 1] : undefined;
  const message = m?.[2] ?? errors[0];
  if (!line) return { path: [], message: `nft rejects the ruleset: ${message}` };
  return {
    path: line.path ?? [],
    message: `nft rejects "${line.text.trim()}": ${message}${line.path ? "" : " (a line the template wrote)"}`,
  };
}
