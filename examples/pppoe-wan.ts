// A small router on a PPPoE line (a DSL or fibre ISP's): pppd logs in with the ISP's credentials,
// takes the address, peer and DNS servers IPCP hands it and routes through the link; the LAN gets
// addresses and names from dnsmasq and reaches the internet through the firewall's NAT. The
// credentials are the lab's own (image/lab/plan.ts): `npm run lab -- --config
// examples/pppoe-wan.ts` tries it against a simulated ISP before it is flashed.
import { defineConfig } from "../image/config/index.ts";
import console from "../services/console/index.ts";
import dnsmasq from "../services/dnsmasq/index.ts";
import firewall from "../services/firewall/index.ts";
import network from "../services/network/index.ts";
import ppp from "../services/ppp/index.ts";

export default defineConfig(({ interfaces }) => {
  const wan = ppp.svc.pppoe.build({ interface: interfaces.wan, username: "lab", password: "limen-lab" });
  // ppp0 joins the wan zone each time the link comes up: NAT follows a reconnected link
  const fw = firewall.svc.firewall.build({ zones: { lan: [interfaces.lan], wan: [wan] } });
  // the link is dialled only once the ruleset is loaded: nothing faces the ISP without it
  wan.after(fw);
  const lanAddress = network.svc.address.build({
    interface: interfaces.lan,
    family: "inet",
    address: "10.6.0.1",
    prefixLength: 16,
  });
  return {
    imports: [console, network, dnsmasq, firewall, ppp],
    hostname: "dsl",
    users: {
      // The console password is "secret": change it before others can reach the console.
      root: {
        passwd:
          "$6$6HG7WALLQQY1LQDE$428cnouMJ7wVmyK9.dF1uWs7t0z9ztgp3MHvN5bbeo0M4Kqg/u2ThjoSHIjCEJQlnVpDOaEKcOjXAlIClHWN21",
      },
    },
    services: {
      wan,
      lanAddress,
      dns: dnsmasq.svc.dnsmasq.build({
        interface: lanAddress,
        ranges: ["10.6.0.10,10.6.0.240"],
        domain: "lan.test",
        // the DNS servers IPCP handed over
        resolvconf: wan,
        hosts: { printer: { mac: "52:54:00:12:34:99", v4: "10.6.0.5" } },
      }),
      firewall: fw,
      // nothing is forwarded without the ruleset
      forwarding: network.svc.forward.build({}).after(fw),
      console: console.svc.getty.build({}),
    },
    hosts: { "10.6.0.1": ["dsl.lan.test", "dsl"] },
    programs: { busybox: { applets: ["ps", "grep"] } },
    defaultProfile: { packages: [{ name: "iproute2", files: ["/bin/ip"] }] },
  };
});
