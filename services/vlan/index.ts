// 802.1Q VLANs: an interface of its own for the frames tagged with one VLAN id on a parent link
// (a management network beside the untagged LAN, or the ports of a switch behind one CPU port).
import { defineModule, interfaceService, oneshot, outputRef, sh, template, z } from "../../image/config/index.ts";

/** 802.1Q in the kernel: Kconfig symbols for a kernel built from source, modules where it builds them so. */
const kernel = { config: { VLAN_8021Q: "y" }, modules: ["8021q"] };

const vlan = template(
  "vlan",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <ifname>.link when not given."),
    ifname: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]{1,15}$/, "must be a network interface name (at most 15 characters)")
      .describe("Name of the VLAN interface to create (its output ifname), e.g. lan.100."),
    primary: interfaceService.describe("The parent interface (output ifname) whose tagged frames it carries."),
    vid: z.number().int().min(1).max(4094).describe("The VLAN id, 1 to 4094."),
  }),
  (p) => {
    const parent = outputRef(p.primary, "ifname");
    return oneshot({
      name: p.name ?? `${p.ifname}.link`,
      dependencies: [p.primary],
      outputs: ["ifname"],
      kernelModules: kernel.modules,
      up: [
        sh`ip link add link ${parent} name ${p.ifname} type vlan id ${p.vid}`,
        sh`ip link set dev ${p.ifname} up`,
        sh`echo ${p.ifname} > "$OUTPUTS/ifname"`,
      ].join("\n"),
      down: sh`ip link delete ${p.ifname}`,
    });
  },
);

export default defineModule({ name: "vlan", config: { kernel: { config: kernel.config } }, svc: { vlan } });
