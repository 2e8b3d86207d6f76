// A first system to run under QEMU: a static LAN address, a DHCP and DNS server for the LAN,
// and SSH. Copy it and change the password hash (make one with `mkpasswd -m sha512crypt`).
import { defineConfig } from "../image/config/index.ts";
import console from "../services/console/index.ts";
import dnsmasq from "../services/dnsmasq/index.ts";
import network from "../services/network/index.ts";
import ssh from "../services/ssh/index.ts";

export default defineConfig(({ interfaces }) => {
  const lanAddress = network.svc.address.build({
    interface: interfaces.lan,
    family: "inet",
    address: "10.3.0.1",
    prefixLength: 16,
  });
  return {
    imports: [console, network, dnsmasq, ssh],
    hostname: "hello",
    users: {
      // The console password is "secret" (ssh takes keys only): change it before others can reach the console.
      root: {
        passwd:
          "$6$6HG7WALLQQY1LQDE$428cnouMJ7wVmyK9.dF1uWs7t0z9ztgp3MHvN5bbeo0M4Kqg/u2ThjoSHIjCEJQlnVpDOaEKcOjXAlIClHWN21",
      },
    },
    services: {
      lanAddress,
      dns: dnsmasq.svc.dnsmasq.build({
        interface: lanAddress,
        ranges: ["10.3.0.10,10.3.0.240"],
        domain: "example.org",
      }),
      // keys only over the network: add yours to users.root.openssh.authorizedKeys.keys
      sshd: ssh.svc.ssh.build({ allowPasswordLogin: false }),
      console: console.svc.getty.build({}),
    },
    defaultProfile: { packages: [{ name: "iproute2", files: ["/bin/ip"] }] },
  };
});
