// The hardware watchdog: a service feeding the kernel's watchdog device while the `watched`
// services are up, after a head start (runtime/src/controllers/watchdog.ts). When one stays down
// or the feeder itself ends, nobody feeds and the watchdog reboots the device after its timeout
// (the driver's). The device's own driver must be in its kernel (or kernel.loadModules).
import { absolutePath } from "../../image/config/files.ts";
import { defineModule, longrun, service, sh, template, z } from "../../image/config/index.ts";

const seconds = z.number().positive().max(86_400);

const watchdog = template(
  "watchdog",
  z.strictObject({
    name: z.string().default("watchdog").describe("Name of the service."),
    watched: z.array(service).min(1).describe("Services that must stay up for the watchdog to be fed."),
    headStart: z
      .number()
      .min(0)
      .max(86_400)
      .default(60)
      .describe("Seconds after start during which it feeds whatever the services' state."),
    interval: seconds.default(10).describe("Seconds between feeds: well below the watchdog's timeout."),
    device: absolutePath.default("/dev/watchdog").describe("The kernel's watchdog device."),
  }),
  (p) =>
    longrun({
      name: p.name,
      brings: p.watched,
      run: sh`exec limen watchdog ${p.device} ${Math.round(p.headStart * 1000)} ${Math.round(p.interval * 1000)} ${p.watched.map((s) => s.name)}`,
    }),
);

export default defineModule({ name: "watchdog", config: { kernel: { config: { WATCHDOG: "y" } } }, svc: { watchdog } });
