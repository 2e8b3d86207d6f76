// The base module: always present, declares the base options and the accounts every system has.
import { defineModule } from "./module.ts";
import { baseOptions } from "./options.ts";

export const base = defineModule({
  name: "base",
  options: baseOptions,
  config: {
    users: { root: { uid: 0, gid: 0, dir: "/home/root" } },
    groups: { root: { gid: 0 } },
    // Of s6, what Limen runs and a person at the shell reads: the scanner (PID 1) and the
    // supervisor it starts, s6-svc with the listener its -w options run and the fifo reader
    // that listener spawns, s6-svscanctl to shut down, s6-log for every logger, s6-svstat.
    packages: [
      {
        name: "s6",
        files: [
          "s6-svscan",
          "s6-supervise",
          "s6-svc",
          "s6-svlisten1",
          "s6-ftrigrd",
          "s6-svscanctl",
          "s6-log",
          "s6-svstat",
        ].map((p) => `/usr/bin/${p}`),
      },
    ],
    // What the boot scripts and service scripts themselves run.
    programs: { busybox: { applets: ["sh", "mkdir", "rm", "cat", "echo", "ln", "mount"] } },
  },
});
