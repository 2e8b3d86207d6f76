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
  type Service,
} from "../../image/config/index.ts";

const ifname = z.string().regex(/^[A-Za-z0-9_.@-]{1,15}$/, "must be a network interface name (at most 15 characters)");

const link = template(
  "network.link",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <ifname>.link when not given."),
    ifname: ifname.describe("The interface's name (its output ifname)."),
    devpath: z
      .string()
      .nullable()
      .default(null)
      .describe("sysfs path of the device: when given, whatever it is called is renamed to ifname."),
    mtu: z.number().int().min(68).max(65535).nullable().default(null).describe("MTU to set, if any."),
    kernelModules: z
      .array(z.string())
      .default([])
      .describe("Kernel modules that make the interface (its driver), loaded before it is brought up."),
    radio: z
      .boolean()
      .default(false)
      .describe("The interface is a wireless radio's: what an access point (hostapd) may run on."),
  }),
  (p) =>
    oneshot({
      name: p.name ?? `${p.ifname}.link`,
      outputs: ["ifname"],
      kernelModules: p.kernelModules,
      up: [
        ...(p.devpath === null ? [] : [sh`ip link set dev "$(ls ${`/sys${p.devpath}/net`})" name ${p.ifname}`]),
        ...(p.mtu === null ? [] : [sh`ip link set dev ${p.ifname} mtu ${p.mtu}`]),
        // a device that is not there (a radio the board lacks, a NIC unplugged): said in words
        sh`[ -e /sys/class/net/${p.ifname} ] || { echo ${`no interface ${p.ifname}: its ${p.radio ? "radio" : "device"} is missing`} >&2; exit 1; }`,
        sh`ip link set dev ${p.ifname} up`,
        sh`echo ${p.ifname} > "$OUTPUTS/ifname"`,
      ].join("\n"),
      down: sh`ip link set dev ${p.ifname} down`,
    }),
);

/** Whether `s` is a network.link its device declares a radio (hostapd checks its interface so). */
export function isRadio(s: Service): boolean {
  const use = s.realize([`service built at ${s.origin}`]).templates.find((t) => t.template === link);
  return use !== undefined && (use.params as z.output<typeof link.params>).radio;
}

const address = template(
  "network.address",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <interface's name>.a.<address> when not given."),
    interface: service.describe("The interface (output ifname) to put the address on."),
    family: z.enum(["inet", "inet6"]).default("inet").describe("inet for IPv4, inet6 for IPv6."),
    address: z.string().min(1).describe("The address, without its prefix length."),
    prefixLength: z.number().int().min(0).max(128).describe("Length of the network prefix (24 for a /24)."),
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
    name: z.string().optional().describe("Name of the service; route.<target> when not given."),
    interface: service.nullable().default(null).describe("The interface (output ifname) to route through, if any."),
    target: z.string().min(1).describe('Destination network, e.g. "default" or 10.0.0.0/8.'),
    via: replaceable(z.string().min(1)).describe("Gateway address; may be an outputRef (a DHCP lease's router)."),
    metric: z.number().int().min(0).default(100).describe("Route metric: the lowest wins."),
    dependencies: z.array(service).default([]).describe("Services to be up first (the one whose output via reads)."),
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
    name: z.string().default("forwarding").describe("Name of the service."),
    enableIPv4: z.boolean().default(true).describe("Forward IPv4 packets between interfaces while up."),
    enableIPv6: z.boolean().default(true).describe("Forward IPv6 packets between interfaces while up."),
  }),
  (p) => {
    const set = (v4: boolean, v6: boolean) =>
      [
        sh`echo ${v4 ? 1 : 0} > /proc/sys/net/ipv4/conf/all/forwarding`,
        sh`echo ${v6 ? 1 : 0} > /proc/sys/net/ipv6/conf/all/forwarding`,
      ].join("\n");
    // A forwarding interface ignores router advertisements unless accept_ra is 2: raise the
    // interfaces that take them (1) before forwarding starts, so that the WAN keeps its default
    // route; later ones start from default.accept_ra, 2 by the sysctl defaults. 0 stays 0.
    const keepRA = [
      // cat, not read: a sysctl file answers only the first read, and read takes a byte at a time
      "for f in /proc/sys/net/ipv6/conf/*/accept_ra; do",
      '  if [ "$(cat "$f")" = 1 ]; then echo 2 > "$f"; fi',
      "done",
    ];
    const up = [...(p.enableIPv6 ? keepRA : []), set(p.enableIPv4, p.enableIPv6)].join("\n");
    return oneshot({ name: p.name, up, down: set(false, false) });
  },
);

// not 3: udhcpc puts its signal pipe on the lowest free descriptors
const dhcpReadyFd = 9;

// udhcpc calls this with the lease in its environment; the lease becomes the service's outputs.
// It inherits the s6 notification fd: the first lease makes the service ready (later writes,
// once s6 has closed that pipe, fail harmlessly in a subshell). Deconfiguring flushes IPv4 only:
// the link-local IPv6 address a DHCPv6 client on the same interface speaks from stays.
const dhcpScript = `#!/bin/sh
case "$1" in
  deconfig) ip -4 address flush dev "$interface"; rm -rf "$OUTPUTS"/* ;;
  bound|renew)
    ip address replace "$ip/$mask" dev "$interface"
    for v in ip mask router dns domain subnet interface serverid lease; do eval "echo \\"\\$$v\\"" > "$OUTPUTS/$v"; done
    (echo >&${dhcpReadyFd}) 2>/dev/null || true ;;
esac
`;

const dhcpClient = template(
  "network.dhcp.client",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <interface's name>.dhcpc when not given."),
    interface: service.describe("The interface (output ifname) to ask on; the lease becomes outputs."),
  }),
  (p) => {
    const name = p.name ?? `${p.interface.name}.dhcpc`;
    const script = `/etc/limen/udhcpc/${name}`;
    return longrun({
      name,
      dependencies: [p.interface],
      outputs: ["ip", "mask", "router", "dns", "interface"],
      // ready with a lease: what reads the outputs (a route via the router) starts only then
      notificationFd: dhcpReadyFd,
      timeoutUp: 60_000,
      files: { [script]: { type: "file", content: dhcpScript, mode: 0o755 } },
      run: sh`exec udhcpc -f -i ${outputRef(p.interface, "ifname")} -s ${script}`,
    });
  },
);

export default defineModule({
  name: "network",
  config: {
    programs: { busybox: { applets: ["ip", "ls", "udhcpc"] } },
    kernel: { config: { INET: "y", IPV6: "y", PACKET: "y" } },
  },
  svc: { link, address, route, forward, dhcp: { client: dhcpClient } },
});
