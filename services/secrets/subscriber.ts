// secrets.subscriber: restarts (or signals) the services that read a secrets service's outputs
// when one of those outputs changes (runtime/src/secrets/subscriber.ts). It does not depend on
// them, so that restarting them leaves it running.
import { longrun, service, sh, template, z } from "../../image/config/index.ts";
import { ConfigError } from "../../image/config/errors.ts";

const actions = ["restart", "hup", "int", "quit", "term", "usr1", "usr2", "alrm"] as const;

export const subscriber = template(
  "secrets.subscriber",
  z.strictObject({
    name: z.string().default("secrets-subscriber").describe("Name of the service."),
    watch: service.describe("The secrets service whose outputs are followed."),
    services: z
      .array(service)
      .min(1)
      .describe("Services reading its outputs (through outputRef) to act on when those change."),
    action: z.enum(actions).default("restart").describe("Restart the services, or send their processes this signal."),
  }),
  (p) => {
    for (const s of p.services) {
      const spec = s.realize([`service built at ${s.origin}`]);
      if (!spec.outputRefs.some((r) => r.service === p.watch)) {
        throw new ConfigError(
          `secrets.subscriber ${p.name}`,
          s.origin,
          `service ${spec.name} reads no output of ${p.watch.name}: nothing of it to follow`,
        );
      }
    }
    const signal = p.action === "restart" ? [] : ["--signal", p.action];
    return longrun({
      name: p.name,
      // in the system beside it, started at boot as usual: it acts on them, it does not start them
      brings: p.services,
      run: sh`exec limen secrets subscribe ${signal} ${p.watch.name} ${p.services.map((s) => s.name)}`,
    });
  },
);
