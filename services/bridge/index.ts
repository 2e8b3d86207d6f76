// Layer 2 bridges: `primary` creates the bridge device, `members` enslaves interfaces to it (a
// wired LAN and one or more access points, say).
import { defineModule, nameSafe, oneshot, outputRef, service, sh, template, z } from "../../image/config/index.ts";

const primary = template(
  "bridge.primary",
  z.strictObject({
    name: z.string().optional(),
    ifname: z.string().regex(/^[A-Za-z0-9_.@-]{1,15}$/, "must be a network interface name"),
  }),
  (p) =>
    oneshot({
      name: p.name ?? `${p.ifname}.bridge`,
      outputs: ["ifname"],
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
  z.strictObject({ name: z.string().optional(), primary: service, members: z.array(service).min(1) }),
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
  config: { kernel: { config: { BRIDGE: "y", STP: "y" } } },
  svc: { primary, members },
});
