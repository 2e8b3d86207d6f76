// Network basics: hardware links, addresses, routes, forwarding and a DHCPv4 client. Interface
// services write their kernel name to the output "ifname"; users of an interface read it there.
import {
  defineModule,
  longrun,
  nameSafe,
  oneshot,
  outputRef,
  replaceable,
  service,
  sh,
  template,
  z,
} from "../../image/config/index.ts";

const ifname = z.string().regex(/^[A-Za-z0-9_.@-]{1,15}$/, "must be a network interface name (at most 15 characters)");

const link = template(
  "network.link",
  z.strictObject({
    name: z.string().optional(),
    ifname,
    /** sysfs path of the device: when given, whatever it is called is renamed to ifname. */
    devpath: z.string().nullable().default(null),
    mtu: z.number().int().min(68).max(65535).nullable().default(null),
  }),
  (p) =>
    oneshot({
      name: p.name ?? `${p.ifname}.link`,
      outputs: ["ifname"],
      up: [
        ...(p.devpath === null ? [] : [sh`ip link set dev "$(ls ${`/sys${p.devpath}/net`})" name ${p.ifname}`]),
        ...(p.mtu === null ? [] : [sh`ip link set dev ${p.ifname} mtu ${p.mtu}`]),
        sh`ip link set dev ${p.ifname} up`,
        sh`echo ${p.ifname} > "$OUTPUTS/ifname"`,
      ].join("\n"),
      down: sh`ip link set dev ${p.ifname} down`,
    }),
);

const address = template(
  "network.address",
  z.strictObject({
    name: z.string().optional(),
    interface: service,
    family: z.enum(["inet", "inet6"]).default("inet"),
    address: z.string().min(1),
    prefixLength: z.number().int().min(0).max(128),
  }),
  (p) => {
    const dev = outputRef(p.interface, "ifname");
    const cidr = `${p.address}/${p.prefixLength}`;
    return oneshot({
      name: p.name ?? `${p.interface.name}.a.${nameSafe(p.address)}`,
      dependencies: [p.interface],
      outputs: ["address", "prefixLength", "ifname"],
      up: [
        sh`ip -f ${p.family} address add ${cidr} dev ${dev}`,
        sh`echo ${p.address} > "$OUTPUTS/address"`,
        sh`echo ${p.prefixLength} > "$OUTPUTS/prefixLength"`,
        sh`echo ${dev} > "$OUTPUTS/ifname"`,
      ].join("\n"),
      down: sh`ip -f ${p.family} address del ${cidr} dev ${dev}`,
    });
  },
);

const route = template(
  "network.route",
  z.strictObject({
    name: z.string().optional(),
    interface: service.nullable().default(null),
    target: z.string().min(1),
    via: replaceable(z.string().min(1)),
    metric: z.number().int().min(0).default(100),
    dependencies: z.array(service).default([]),
  }),
  (p) => {
    const dev = p.interface === null ? "" : sh` dev ${outputRef(p.interface, "ifname")}`;
    const rule = sh`${p.target} via ${p.via}` + dev + sh` metric ${p.metric}`;
    return oneshot({
      name: p.name ?? `route.${nameSafe(p.target)}`,
      dependencies: [...(p.interface === null ? [] : [p.interface]), ...p.dependencies],
      up: `ip route add ${rule}`,
      down: `ip route del ${rule}`,
    });
  },
);

const forward = template(
  "network.forward",
  z.strictObject({
    name: z.string().default("forwarding"),
    enableIPv4: z.boolean().default(true),
    enableIPv6: z.boolean().default(true),
  }),
  (p) => {
    const set = (v4: boolean, v6: boolean) =>
      [
        sh`echo ${v4 ? 1 : 0} > /proc/sys/net/ipv4/conf/all/forwarding`,
        sh`echo ${v6 ? 1 : 0} > /proc/sys/net/ipv6/conf/all/forwarding`,
      ].join("\n");
    return oneshot({ name: p.name, up: set(p.enableIPv4, p.enableIPv6), down: set(false, false) });
  },
);

// udhcpc calls this with the lease in its environment; the lease becomes the service's outputs.
const dhcpScript = `#!/bin/sh
case "$1" in
  deconfig) ip address flush dev "$interface"; rm -rf "$OUTPUTS"/* ;;
  bound|renew)
    ip address replace "$ip/$mask" dev "$interface"
    for v in ip mask router dns domain subnet interface serverid lease; do printenv "$v" > "$OUTPUTS/$v"; done ;;
esac
`;

const dhcpClient = template(
  "network.dhcp.client",
  z.strictObject({ name: z.string().optional(), interface: service }),
  (p) => {
    const name = p.name ?? `${p.interface.name}.dhcpc`;
    const script = `/etc/limen/udhcpc/${name}`;
    return longrun({
      name,
      dependencies: [p.interface],
      outputs: ["ip", "mask", "router", "dns", "interface"],
      files: { [script]: { type: "file", content: dhcpScript, mode: 0o755 } },
      run: sh`exec udhcpc -f -i ${outputRef(p.interface, "ifname")} -s ${script}`,
    });
  },
);

export default defineModule({
  name: "network",
  config: {
    programs: { busybox: { applets: ["ip", "ls", "udhcpc", "printenv"] } },
    kernel: { config: { INET: "y", IPV6: "y", PACKET: "y" } },
  },
  svc: { link, address, route, forward, dhcp: { client: dhcpClient } },
});
