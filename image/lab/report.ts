// The lab's report: each check's result with its evidence and time, as text for a person or
// JSON for machines. A run passes only when every applicable check passes.
import type { Evidence } from "./checks.ts";

export type Status = "pass" | "fail" | "n/a";

export interface CheckResult {
  name: string;
  status: Status;
  seconds: number;
  detail: string;
  evidence: Evidence[];
}

export interface Report {
  config: string;
  device: string;
  /** Seconds each build and boot took, by what was built or booted. */
  times: Record<string, number>;
  checks: CheckResult[];
  passed: boolean;
}

export function passed(results: CheckResult[]): boolean {
  return results.every((r) => r.status !== "fail");
}

/** The first lines of an output, so a report stays readable. */
function excerpt(output: string, lines: number): string[] {
  const all = output.trimEnd().split("\n");
  return all.length > lines ? [...all.slice(0, lines), `… (${all.length - lines} more lines)`] : all;
}

export function formatReport(r: Report): string {
  const label = { pass: "PASS", fail: "FAIL", "n/a": "N/A " } as const;
  const width = Math.max(...r.checks.map((c) => c.name.length));
  const out = [
    `lab: ${r.config} on ${r.device}`,
    `times: ${Object.entries(r.times)
      .map(([k, s]) => `${k} ${s.toFixed(1)} s`)
      .join(", ")}`,
    "",
  ];
  for (const c of r.checks) {
    out.push(`${label[c.status]}  ${c.name.padEnd(width)}  ${c.seconds.toFixed(1).padStart(5)} s  ${c.detail}`);
    for (const e of c.evidence) {
      out.push(`      ${e.guest}$ ${e.command}`);
      // a failure's evidence in full, or nearly
      for (const l of excerpt(e.output, c.status === "fail" ? 30 : 6)) out.push(`        ${l}`);
    }
  }
  const count = (s: Status) => r.checks.filter((c) => c.status === s).length;
  out.push("", `${count("pass")} passed, ${count("fail")} failed, ${count("n/a")} not applicable`);
  return out.join("\n");
}
