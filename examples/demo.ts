// The manual's home router: a wireless access point bridged with the wired LAN, DNS and DHCP for
// them, PPPoE upstream with IPv6 by DHCP6 prefix delegation, a firewall, NTP and SSH.
// Everywhere EDIT appears you probably want to change something.
import { defineConfig } from "../image/config/index.ts";
import bridge from "../services/bridge/index.ts";
import dhcp6c from "../services/dhcp6c/index.ts";
import dnsmasq from "../services/dnsmasq/index.ts";
import firewall from "../services/firewall/index.ts";
import hostapd from "../services/hostapd/index.ts";
import network from "../services/network/index.ts";
import ntp from "../services/ntp/index.ts";
import ppp from "../services/ppp/index.ts";
import ssh from "../services/ssh/index.ts";

export default defineConfig(({ interfaces }) => {
  const wlan = hostapd.svc.hostapd.build({
    interface: interfaces.wlan,
    params: {
      ssid: "my-limen", // EDIT
      country_code: "GB", // EDIT
      hw_mode: "g",
      channel: 2,
      wmm_enabled: 1,
      ieee80211n: 1,
      wpa_passphrase: "not a real wifi password", // EDIT
      auth_algs: 1,
      wpa: 2,
      wpa_key_mgmt: "WPA-PSK",
      wpa_pairwise: "TKIP CCMP",
      rsn_pairwise: "CCMP",
    },
  });
  const int = bridge.svc.primary.build({ ifname: "int" });
  const members = bridge.svc.members.build({ primary: int, members: [interfaces.lan, wlan] });
  const intAddress = network.svc.address.build({
    interface: int,
    family: "inet",
    address: "10.8.0.1",
    prefixLength: 16,
  });
  const wan = ppp.svc.pppoe.build({
    interface: interfaces.wan,
    username: "db123@a.1", // EDIT
    password: "NotReallyTheSecret", // EDIT
  });
  // dhcpcd puts the upstream's address on wan itself; the LAN gets ::1 of the delegated prefix
  const dhcp6 = dhcp6c.svc.client.build({ interface: wan });
  return {
    imports: [network, bridge, hostapd, dnsmasq, ppp, dhcp6c, firewall, ntp, ssh],
    hostname: "the-internet", // EDIT
    users: {
      // EDIT: a hash made with `mkpasswd -m sha512crypt`; this one is for "secret".
      root: {
        passwd:
          "$6$6HG7WALLQQY1LQDE$428cnouMJ7wVmyK9.dF1uWs7t0z9ztgp3MHvN5bbeo0M4Kqg/u2ThjoSHIjCEJQlnVpDOaEKcOjXAlIClHWN21",
      },
    },
    services: {
      wlan,
      members,
      intAddress,
      wan,
      dhcp6,
      prefix: dhcp6c.svc.prefix.build({ client: dhcp6, interface: int }),
      dns: dnsmasq.svc.dnsmasq.build({
        interface: intAddress,
        ranges: ["10.8.0.10,10.8.0.240", "::,constructor:int,ra-stateless"],
        domain: "fake.example.org", // EDIT
        upstreams: ["1.1.1.1", "9.9.9.9"],
      }),
      firewall: firewall.svc.firewall.build({ zones: { lan: [int], wan: [wan] } }),
      forwarding: network.svc.forward.build({}),
      ntp: ntp.svc.ntp.build({
        pools: { "pool.ntp.org": ["iburst"] },
        makestep: { threshold: 1.0, limit: 3 },
        allow: ["10.8.0.0/16"],
      }),
      sshd: ssh.svc.ssh.build({ allowPasswordLoginForRoot: false }),
    },
    defaultProfile: {
      packages: [{ name: "iproute2", files: ["/bin/ip", "/bin/ss", "/sbin/bridge", "/sbin/tc"] }, "tcpdump"],
    },
  };
});
