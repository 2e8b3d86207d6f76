// One lab run for a test (qemu-aarch64 unless given, nothing left running, the lab's own secrets unless given):
// the report, its rows by check name, and the whole report as text for assertion messages.
import { expect } from "vitest";
import { runLab, type LabRequest } from "../../image/lab/lab.ts";
import type { CheckResult, Report } from "../../image/lab/report.ts";

export async function labRun(
  config: string,
  port: number,
  more: Partial<Pick<LabRequest, "device" | "secrets" | "only">> = {},
): Promise<{ report: Report; rows: Record<string, CheckResult>; all: string }> {
  const { report, kept } = await runLab({
    config,
    device: "qemu-aarch64",
    port,
    login: { user: "root", password: "secret" },
    secrets: null,
    keep: false,
    progress: () => {},
    ...more,
  });
  expect(kept).toEqual([]);
  return {
    report,
    rows: Object.fromEntries(report.checks.map((c) => [c.name, c])),
    all: JSON.stringify(report, null, 1),
  };
}
