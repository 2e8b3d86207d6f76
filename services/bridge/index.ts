// Layer 2 bridges: `primary` creates the bridge device, `members` enslaves interfaces to it (a
// wired LAN and one or more access points, say), each while its link is running.
import {
  bundle,
  defineModule,
  interfaceService,
  nameSafe,
  oneshot,
  outputRef,
  service,
  sh,
  template,
  z,
} from "../../image/config/index.ts";
import ifwait from "../ifwait/index.ts";

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
      .array(interfaceService)
      .min(1)
      .describe("Interface services (output ifname) to put in the bridge: a wired LAN, access points."),
  }),
  (p) => {
    const primaryName = nameSafe(p.primary.name);
    // Each member joins while its link is running and leaves when it loses its carrier or goes
    // away, kept so by its own ifwait: a cable unplugged and plugged back, or an interface made
    // anew, rejoins without anyone restarting a service, and a member that never appears (a radio
    // that is missing) holds back no other.
    // (scripts made in the join's own build, so that it is the one reading the outputs)
    const joins = p.members.map((m) => {
      const join = oneshot({
        name: `${primaryName}.member.${nameSafe(m.name)}`,
        dependencies: [p.primary, m],
        controlled: true,
        up: () => sh`ip link set dev ${outputRef(m, "ifname")} master ${outputRef(p.primary, "ifname")}`,
        down: () => sh`ip link set dev ${outputRef(m, "ifname")} nomaster`,
      });
      return ifwait.svc.ifwait.build({ interface: m, service: join, state: "running" });
    });
    return bundle({ name: p.name ?? `${primaryName}.members`, contents: joins });
  },
);

export default defineModule({
  name: "bridge",
  imports: [ifwait],
  config: { kernel: { config: kernel.config } },
  svc: { primary, members },
});
