// Readiness by a check, for daemons that tell no one when they are ready (pppd, chronyd, hostapd):
// s6-notifyoncheck execs into the daemon and, beside it, runs the service directory's data/check
// every `intervalMs` until it succeeds, then writes to s6's notification fd.
import { layout } from "../../runtime/src/layout.ts";
import type { z } from "zod";
import type { fileTree } from "./files.ts";

const fd = 3;

/** What a longrun takes to be ready once `check` (shell) succeeds: put `exec` before the daemon. */
export function readyWhen(
  service: string,
  check: string,
  intervalMs: number,
): { notificationFd: number; files: z.input<typeof fileTree>; exec: string } {
  return {
    notificationFd: fd,
    files: {
      [`${layout("").longrun(service)}/data/check`]: { type: "file", mode: 0o755, content: `#!/bin/sh\n${check}\n` },
    },
    exec: `exec s6-notifyoncheck -3 ${fd} -w ${intervalMs} -n 0`,
  };
}

/** The package entry a module using readyWhen adds: s6-notifyoncheck alone of s6's programs. */
export const notifyOnCheck = { name: "s6", files: ["/usr/bin/s6-notifyoncheck"] };
