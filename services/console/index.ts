// A login prompt on a terminal (the serial console by default), with busybox getty and login:
// the person at the console signs in with an account's password.
import { defineModule, longrun, sh, template, z } from "../../image/config/index.ts";

const getty = template(
  "getty",
  z.strictObject({
    name: z.string().default("console").describe("Name of the service."),
    tty: z
      .string()
      .regex(/^[A-Za-z0-9]+$/, "must be a device name under /dev")
      .default("console")
      .describe('Terminal device under /dev; "console" is whatever console= named on the kernel command line.'),
    baud: z.number().int().positive().default(115200).describe("Line speed in bits per second."),
    term: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/)
      .default("vt100")
      .describe("TERM of the login session."),
  }),
  // -L: a local line, no carrier detect; s6 starts it again after each logout
  (p) => longrun({ name: p.name, run: sh`exec getty -L ${String(p.baud)} ${p.tty} ${p.term}` }),
);

export default defineModule({
  name: "console",
  config: { programs: { busybox: { applets: ["getty", "login"] } } },
  svc: { getty },
});
