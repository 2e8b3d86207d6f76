// A first system to run under QEMU: a static LAN address, a DHCP and DNS server for the LAN,
// and SSH, reached from the host through run.sh --ssh-port with the key run.sh hands over
// (--authorized-key, or your ~/.ssh/id_*.pub). Copy it and change the password hash (make one
// with `mkpasswd -m sha512crypt`).
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
      // run.sh's user-mode NIC, where --ssh-port forwards a loopback port of the host to port 22
      hostAddress: network.svc.address.build({
        interface: interfaces.host,
        family: "inet",
        address: "10.0.2.15",
        prefixLength: 24,
      }),
      // keys only over the network: the ones run.sh gives at start, and any you list in keys
      sshd: ssh.svc.ssh.build({
        allowPasswordLogin: false,
        authorizedKeys: { root: { home: "/home/root", fromRunScript: true } },
      }),
      console: console.svc.getty.build({}),
    },
    defaultProfile: { packages: [{ name: "iproute2", files: ["/bin/ip"] }] },
  };
});
