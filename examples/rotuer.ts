// A household's main router, after the manual's description of rotuer: two access points (2.4GHz
// and 5GHz, one hostapd each) bridged with the wired LAN, DNS and DHCP with fixed addresses for
// known hosts, PPPoE upstream with IPv6 by DHCP6, a firewall, NTP for the LAN and key-only SSH.
// The PPP credentials and the Wi-Fi passphrase are not in this file: a secrets store copies them
// from a persistent disk into its outputs, and the services read them with outputRef when they start.
import { defineConfig, outputRef } from "../image/config/index.ts";
import bridge from "../services/bridge/index.ts";
import dhcp6c from "../services/dhcp6c/index.ts";
import dnsmasq from "../services/dnsmasq/index.ts";
import firewall from "../services/firewall/index.ts";
import hostapd from "../services/hostapd/index.ts";
import network from "../services/network/index.ts";
import ntp from "../services/ntp/index.ts";
import ppp from "../services/ppp/index.ts";
import secretStore from "../services/secrets-store/index.ts";
import ssh from "../services/ssh/index.ts";

export default defineConfig(({ interfaces }) => {
  // the PPP credentials and the Wi-Fi passphrase, from an ext4 file system on the second disk
  const secrets = secretStore.svc.store.build({
    device: "/dev/vdb",
    keys: ["ppp/username", "ppp/password", "wifi/passphrase"],
  });
  const wifi = {
    country_code: "GB",
    wmm_enabled: 1,
    auth_algs: 1,
    wpa: 2,
    wpa_key_mgmt: "WPA-PSK",
    rsn_pairwise: "CCMP",
    wpa_passphrase: outputRef(secrets, "wifi/passphrase"),
  } as const;
  const wlan = hostapd.svc.hostapd.build({
    interface: interfaces.wlan,
    params: { ...wifi, ssid: "rotuer", hw_mode: "g", channel: 1, ieee80211n: 1 },
  });
  // the 5GHz access point where the device has a second radio
  const wlan5 = interfaces.wlan5
    ? [
        hostapd.svc.hostapd.build({
          interface: interfaces.wlan5,
          params: {
            ...wifi,
            ssid: "rotuer5",
            hw_mode: "a",
            channel: 36,
            ieee80211ac: 1,
            ieee80211n: 1,
            ht_capab: "[HT40+]",
            vht_oper_chwidth: 1,
            vht_oper_centr_freq_seg0_idx: 42,
          },
        }),
      ]
    : [];
  const int = bridge.svc.primary.build({ ifname: "int" });
  const intAddress = network.svc.address.build({
    interface: int,
    family: "inet",
    address: "10.8.0.1",
    prefixLength: 16,
  });
  const wan = ppp.svc.pppoe.build({
    interface: interfaces.wan,
    username: outputRef(secrets, "ppp/username"),
    password: outputRef(secrets, "ppp/password"),
    lcpEcho: { interval: 5, failure: 4 },
  });
  // dhcpcd puts the upstream's address on wan itself; the LAN gets ::1 of the delegated prefix
  const dhcp6 = dhcp6c.svc.client.build({ interface: wan });
  const fw = firewall.svc.firewall.build({
    zones: { lan: [int], wan: [wan] },
    // ssh from the WAN too: the key is the only way in
    open: [{ zone: "wan", protocol: "tcp", ports: [22] }],
  });
  // the WAN link comes up only once the ruleset is loaded: nothing faces the internet without it
  wan.after(fw);
  return {
    imports: [network, bridge, hostapd, dnsmasq, ppp, dhcp6c, firewall, ntp, ssh, secretStore],
    hostname: "rotuer",
    // the router's own name on the LAN (dnsmasq answers from /etc/hosts)
    hosts: { "10.8.0.1": ["rotuer.lan.example.org", "rotuer"] },
    users: { root: { passwd: "!!" } },
    services: {
      secrets,
      members: bridge.svc.members.build({ primary: int, members: [interfaces.lan, wlan, ...wlan5] }),
      intAddress,
      wan,
      dhcp6,
      prefix: dhcp6c.svc.prefix.build({ client: dhcp6, interface: int }),
      dns: dnsmasq.svc.dnsmasq.build({
        interface: intAddress,
        ranges: ["10.8.0.10,10.8.0.240", "::,constructor:int,ra-stateless"],
        domain: "lan.example.org",
        upstreams: ["1.1.1.1", "9.9.9.9"],
        hosts: {
          printer: { mac: "e0:69:95:f3:8b:12", v4: "10.8.0.8" },
          nas: { mac: "00:11:32:aa:bb:cc", v4: "10.8.0.9", v6: ["fd00::9"] },
        },
      }),
      firewall: fw,
      forwarding: network.svc.forward.build({}).after(fw),
      ntp: ntp.svc.ntp.build({
        pools: { "pool.ntp.org": ["iburst"] },
        makestep: { threshold: 1.0, limit: 3 },
        allow: ["10.8.0.0/16"],
        binddevice: "int",
      }),
      sshd: ssh.svc.ssh.build({
        allowPasswordLogin: false,
        allowPasswordLoginForRoot: false,
        authorizedKeys: {
          root: {
            home: "/home/root",
            keys: [
              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBCdgkGhDOfhGjh3mT0uGbqa7PQOaJ6hkT2Kd/W1ZvyM admin@example.org",
            ],
            // and, emulated (run.sh --authorized-key, the lab), the key of whoever starts it
            fromRunScript: true,
          },
        },
      }),
    },
    programs: { busybox: { applets: ["cp", "umount"] } },
    // of iproute2 what a person at the router's shell uses: arpd alone would bring Berkeley DB
    defaultProfile: {
      packages: [{ name: "iproute2", files: ["/bin/ip", "/bin/ss", "/sbin/bridge", "/sbin/tc"] }, "tcpdump", "ethtool"],
    },
  };
});
