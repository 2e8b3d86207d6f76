// A small router whose upstream hands out its address by DHCP (a cable modem's, say): the WAN
// address, default route and upstream DNS server come from the lease, an IPv6 prefix for the LAN
// from DHCPv6; the LAN gets addresses and names from dnsmasq, the time from the router's chrony,
// and reaches the internet through the firewall's NAT (IPv4) or routed (IPv6). ssh from the LAN
// takes a key only. `npm run lab -- --config examples/dhcp-wan.ts` tries it against a simulated
// ISP before it is flashed.
import { defineConfig, outputRef } from "../image/config/index.ts";
import console from "../services/console/index.ts";
import dhcp6c from "../services/dhcp6c/index.ts";
import dnsmasq from "../services/dnsmasq/index.ts";
import firewall from "../services/firewall/index.ts";
import network from "../services/network/index.ts";
import ntp from "../services/ntp/index.ts";
import ssh from "../services/ssh/index.ts";

export default defineConfig(({ interfaces }) => {
  // the WAN asks for its address only once the ruleset is loaded: nothing faces the ISP without it
  const fw = firewall.svc.firewall.build({ zones: { lan: [interfaces.lan], wan: [interfaces.wan] } });
  const wan = network.svc.dhcp.client.build({ interface: interfaces.wan }).after(fw);
  const dhcp6 = dhcp6c.svc.client.build({ interface: interfaces.wan }).after(fw);
  const lanAddress = network.svc.address.build({
    interface: interfaces.lan,
    family: "inet",
    address: "10.5.0.1",
    prefixLength: 16,
  });
  return {
    imports: [console, network, dnsmasq, dhcp6c, firewall, ntp, ssh],
    hostname: "gateway",
    users: {
      // The console password is "secret": change it before others can reach the console.
      root: {
        passwd:
          "$6$6HG7WALLQQY1LQDE$428cnouMJ7wVmyK9.dF1uWs7t0z9ztgp3MHvN5bbeo0M4Kqg/u2ThjoSHIjCEJQlnVpDOaEKcOjXAlIClHWN21",
      },
    },
    services: {
      wan,
      defaultRoute: network.svc.route.build({
        interface: interfaces.wan,
        target: "default",
        via: outputRef(wan, "router"),
        dependencies: [wan],
      }),
      lanAddress,
      dhcp6,
      // the LAN's /64 (its ::1 the router's) out of the delegated prefix
      prefix: dhcp6c.svc.prefix.build({ client: dhcp6, interface: interfaces.lan }),
      dns: dnsmasq.svc.dnsmasq.build({
        interface: lanAddress,
        // IPv6 by SLAAC in the delegated prefix, from router advertisements on the LAN port
        // (eth1 on the emulated devices: devices/lib/qemu.ts; name yours)
        ranges: ["10.5.0.10,10.5.0.240", "::,constructor:eth1,ra-stateless"],
        domain: "lan.test",
        resolvconf: wan,
        hosts: { printer: { mac: "52:54:00:12:34:99", v4: "10.5.0.5" } },
      }),
      firewall: fw,
      // nothing is forwarded without the ruleset
      forwarding: network.svc.forward.build({}).after(fw),
      ntp: ntp.svc.ntp.build({ pools: { "pool.ntp.org": ["iburst"] }, allow: ["10.5.0.0/16"] }),
      sshd: ssh.svc.ssh.build({
        allowPasswordLogin: false,
        allowPasswordLoginForRoot: false,
        // on an emulated router (run.sh --authorized-key, the lab): the key of whoever starts it
        authorizedKeys: { root: { home: "/home/root", fromRunScript: true } },
      }),
      console: console.svc.getty.build({}),
    },
    // the router's own name for the LAN's DNS (dnsmasq reads /etc/hosts)
    hosts: { "10.5.0.1": ["gateway.lan.test", "gateway"] },
    programs: { busybox: { applets: ["ps", "grep"] } },
  };
});
