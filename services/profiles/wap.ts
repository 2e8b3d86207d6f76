// The wap profile: a wireless access point on a LAN whose main router is elsewhere. Its access
// points and wired ports are one bridge, so their clients are on the main router's LAN and take
// their leases from it; the access point itself takes an address by DHCP, on the bridge or, with
// a management VLAN, only on that VLAN (tagged on the same wires), so that the LAN's users cannot
// reach it. IPv6 comes by SLAAC from the main router's advertisements. Each piece is built by its
// own template, gathered in one bundle.
import { bundle, defineModule, interfaceService, outputRef, template, z } from "../../image/config/index.ts";
import bridge from "../bridge/index.ts";
import hostapd from "../hostapd/index.ts";
import network from "../network/index.ts";
import vlan from "../vlan/index.ts";
import { accessPoints, wirelessNetworks } from "./wireless.ts";

const ifname = z.string().regex(/^[A-Za-z0-9_.@-]{1,15}$/, "must be a network interface name (at most 15 characters)");

const params = z.strictObject({
  name: z.string().default("wap").describe("Name of the bundle holding the access point's services."),
  ifname: ifname.default("int").describe("Name of the bridge device."),
  interfaces: z
    .array(interfaceService)
    .min(1, "must name the wired port toward the main router")
    .describe("Wired ports (interface services) bridged with the access points: the uplink to the main router first."),
  wireless: wirelessNetworks,
  management: z
    .strictObject({
      vid: vlan.svc.vlan.params.shape.vid,
      ifname: ifname.optional().describe("Name of the VLAN interface; <bridge>.<vid> when not given."),
    })
    .nullable()
    .default(null)
    .describe("A tagged management VLAN on the bridge: the access point's own address is there, not on the LAN."),
});

const wap = template("wap", params, (p) => {
  const int = bridge.svc.primary.build({ ifname: p.ifname });
  const members = bridge.svc.members.build({ primary: int, members: [...p.interfaces, ...accessPoints(p.wireless)] });
  const own =
    p.management === null
      ? int
      : vlan.svc.vlan.build({
          ifname: p.management.ifname ?? `${p.ifname}.${p.management.vid}`,
          primary: int,
          vid: p.management.vid,
        });
  const dhcp = network.svc.dhcp.client.build({ interface: own });
  const route = network.svc.route.build({
    interface: own,
    target: "default",
    via: outputRef(dhcp, "router"),
    dependencies: [dhcp],
  });
  return bundle({ name: p.name, contents: [members, dhcp, route] });
});

export default defineModule({ name: "wap", imports: [network, bridge, hostapd, vlan], svc: { wap } });
