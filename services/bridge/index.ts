// Layer 2 bridges: `primary` creates the bridge device, `members` enslaves interfaces to it (a
// wired LAN and one or more access points, say).
import { defineModule, nameSafe, oneshot, outputRef, service, sh, template, z } from "../../image/config/index.ts";

/** The kernel's bridge: Kconfig symbols for a kernel built from source, modules where it builds them so. */
const kernel = { config: { BRIDGE: "y", STP: "y" }, modules: ["bridge"] };

const primary = template(
  "bridge.primary",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <ifname>.bridge when not given."),
    ifname: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]{1,15}$/, "must be a network interface name")
      .describe("Name of the bridge device to create (its output ifname)."),
  }),
  (p) =>
    oneshot({
      name: p.name ?? `${p.ifname}.bridge`,
      outputs: ["ifname"],
      kernelModules: kernel.modules,
      up: [
        sh`ip link add name ${p.ifname} type bridge`,
        sh`ip link set dev ${p.ifname} up`,
        sh`echo ${p.ifname} > "$OUTPUTS/ifname"`,
      ].join("\n"),
      down: sh`ip link delete ${p.ifname}`,
    }),
);

const members = template(
  "bridge.members",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <primary's name>.members when not given."),
    primary: service.describe("The bridge (a bridge.primary service) to enslave the members to."),
    members: z
      .array(service)
      .min(1)
      .describe("Interface services (output ifname) to put in the bridge: a wired LAN, access points."),
  }),
  (p) => {
    const bridge = outputRef(p.primary, "ifname");
    const each = (verb: (dev: ReturnType<typeof outputRef>) => string) =>
      p.members.map((m) => verb(outputRef(m, "ifname"))).join("\n");
    return oneshot({
      name: p.name ?? `${nameSafe(p.primary.name)}.members`,
      dependencies: [p.primary, ...p.members],
      up: each((dev) => sh`ip link set dev ${dev} master ${bridge}`),
      down: each((dev) => sh`ip link set dev ${dev} nomaster`),
    });
  },
);

export default defineModule({
  name: "bridge",
  config: { kernel: { config: kernel.config } },
  svc: { primary, members },
});
