// Health checks: a controller that starts a longrun (with what it needs and what needs it), runs
// a check command every `interval` seconds once the longrun is up, and after more than
// `threshold` failed checks in a row restarts it through s6 and counts again
// (runtime/src/controllers/health-check.ts). Only longruns: a restart is s6's. Stopping the
// controller stops the checks only: the service stays as it is (a new controller takes it on).
import { ConfigError } from "../../image/config/errors.ts";
import { defineModule, longrun, service, sh, template, z } from "../../image/config/index.ts";

const seconds = z.number().positive().max(86_400);

const healthCheck = template(
  "health-check",
  z.strictObject({
    name: z
      .string()
      .optional()
      .describe("Name of the controller; <service's name>.health when not given (the service keeps its own)."),
    service: service.describe("The longrun to start and check; it becomes a controlled service."),
    healthCheck: z.string().min(1).describe("Shell command, run with sh -c; exit 0 means healthy."),
    interval: seconds.default(10).describe("Seconds between checks once the service is up."),
    threshold: z
      .number()
      .int()
      .min(0)
      .default(3)
      .describe("Failed checks in a row that are tolerated: one more restarts the service."),
    timeout: seconds
      .optional()
      .describe("Seconds a check may take (a check out of time failed); the interval when not given."),
  }),
  (p) => {
    const checked = p.service.realize(["health-check", "service"]);
    if (checked.type !== "longrun")
      throw new ConfigError(
        "health-check.service",
        p.service.origin,
        `${checked.name} is a ${checked.type}: a health check restarts longruns only`,
      );
    const ms = (s: number): number => Math.round(s * 1000);
    return longrun({
      name: p.name ?? `${checked.name}.health`,
      controls: [p.service],
      run: sh`exec limen health-check ${checked.name} ${ms(p.interval)} ${p.threshold} ${ms(p.timeout ?? p.interval)} ${p.healthCheck}`,
    });
  },
);

export default defineModule({ name: "health-check", svc: { "health-check": healthCheck } });
