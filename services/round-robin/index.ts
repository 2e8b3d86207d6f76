// Failover: a controller keeps exactly one of `services` (longruns) up, trying them in turn, and a
// proxy service stands for whichever is active: its outputs are the active backend's, and what
// depends on the proxy goes down and up again with each change of backend
// (runtime/src/controllers/round-robin.ts). Backends need no outputs. Stopping the controller
// takes the proxy and its dependents down (they depend on it) and leaves the active backend
// running: a new controller carries on with it.
import { ConfigError } from "../../image/config/errors.ts";
import { defineModule, longrun, oneshot, service, sh, template, z } from "../../image/config/index.ts";

const seconds = z.number().positive().max(86_400);

const roundRobin = template(
  "round-robin",
  z
    .strictObject({
      name: z
        .string()
        .describe('Name of the proxy, the service dependents use; the controller is "<name>.controller".'),
      services: z.array(service).min(2).describe("The backends (longruns), tried in turn."),
      minDelay: seconds
        .default(1)
        .describe("Seconds before starting the next backend; doubling while backends keep failing."),
      maxDelay: seconds.default(60).describe("The most minDelay doubles up to."),
    })
    .refine((p) => p.minDelay <= p.maxDelay, {
      message: "minDelay must not be more than maxDelay",
      path: ["minDelay"],
    }),
  (p) => {
    const backends = p.services.map((s, i) => {
      const spec = s.realize(["round-robin", "services", i]);
      if (spec.type !== "longrun")
        throw new ConfigError(
          `round-robin.services.${i}`,
          s.origin,
          `${spec.name} is a ${spec.type}: round-robin runs longruns, whose exit it notices`,
        );
      return spec;
    });
    if (new Set(backends.map((b) => b.name)).size !== backends.length)
      throw new ConfigError("round-robin.services", p.services[0].origin, "a service is listed twice");
    const ms = (s: number): number => Math.round(s * 1000);
    const names = backends.map((b) => b.name);
    const controller = longrun({
      name: `${p.name}.controller`,
      controls: p.services,
      run: sh`exec limen round-robin ${p.name} ${ms(p.minDelay)} ${ms(p.maxDelay)} ${names}`,
    });
    // Nothing to do on its own: the controller writes its outputs and brings it up and down.
    return oneshot({
      name: p.name,
      controlled: true,
      dependencies: [controller],
      outputs: [...new Set(backends.flatMap((b) => b.outputs))].sort(),
      dynamicOutputs: backends.some((b) => b.dynamicOutputs),
      up: `echo "${p.name}: following the active backend of ${p.name}.controller"`,
    });
  },
);

export default defineModule({ name: "round-robin", svc: { "round-robin": roundRobin } });
