// One lab run for a test (qemu-aarch64 unless given, nothing left running, the lab's own secrets unless given):
// the report, its rows by check name, and the whole report as text for assertion messages.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** wan.up alone, with secrets holding a PPP password the lab's ISP refuses: what the check said. */
export async function refusedPasswordRun(config: string, port: number): Promise<[string, string, string][]> {
  const secrets = mkdtempSync(join(tmpdir(), "limen-lab-secrets-"));
  try {
    mkdirSync(join(secrets, "ppp"));
    writeFileSync(join(secrets, "ppp/username"), "lab");
    writeFileSync(join(secrets, "ppp/password"), "not-the-password");
    const { report } = await labRun(config, port, { secrets, only: ["wan.up"] });
    return report.checks.map((c) => [c.name, c.status, c.detail]);
  } finally {
    rmSync(secrets, { recursive: true, force: true });
  }
}
