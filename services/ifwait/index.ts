// A controller that keeps a controlled service up while a network interface is in a state: the
// runtime's `ifwait` follows the kernel's rtnetlink link messages. `running` (the default) is up
// with a carrier, `up` administratively up, `present` merely there.
import { defineModule, longrun, outputRef, service, sh, template, z } from "../../image/config/index.ts";
import { controlledService } from "../uevent-rule/index.ts";

const ifwait = template(
  "ifwait",
  z.strictObject({
    name: z.string().optional().describe("Name of the controller; <service's name>.ifwait when not given."),
    interface: service.describe('The interface\'s service: its output "ifname" names the interface.'),
    service: controlledService.describe("The controlled service kept up while the interface is in the state."),
    state: z
      .enum(["present", "up", "running"])
      .default("running")
      .describe("running: up with a carrier; up: administratively up; present: merely there."),
  }),
  (p) =>
    longrun({
      name: p.name ?? `${p.service.name}.ifwait`,
      dependencies: [p.interface],
      controls: [p.service],
      run: sh`exec limen ifwait --state ${p.state} ${outputRef(p.interface, "ifname")} ${p.service.name}`,
    }),
);

export default defineModule({ name: "ifwait", svc: { ifwait } });
