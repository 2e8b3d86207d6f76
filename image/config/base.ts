// The base module: always present, declares the base options and the accounts every system has.
import { defineModule } from "./module.ts";
import { baseOptions } from "./options.ts";

export const base = defineModule({
  name: "base",
  options: baseOptions,
  config: {
    users: { root: { uid: 0, gid: 0, dir: "/home/root" } },
    groups: { root: { gid: 0 } },
    // The supervisor and logger every longrun's s6 directory is written for.
    packages: ["s6"],
    // What the boot scripts and service scripts themselves run.
    programs: { busybox: { applets: ["sh", "mkdir", "rm", "cat", "echo", "ln", "mount"] } },
  },
});
