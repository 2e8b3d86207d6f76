// A household's main router, after the manual's description of rotuer, on the gateway profile: two
// access points (2.4GHz and 5GHz, one hostapd each) bridged with the wired LAN, DNS and DHCP with
// fixed addresses for known hosts, PPPoE upstream with IPv6 by DHCP6, a firewall, NTP for the LAN
// and key-only SSH. The PPP credentials and the Wi-Fi passphrase are not in this file: a secrets
// store copies them from a persistent disk into its outputs, and the services read them with
// outputRef when they start.
import { defineConfig, outputRef } from "../image/config/index.ts";
import gateway from "../services/profiles/gateway.ts";
import secretStore from "../services/secrets-store/index.ts";
import ssh from "../services/ssh/index.ts";

export default defineConfig(({ interfaces }) => {
  // the PPP credentials and the Wi-Fi passphrase, from an ext4 file system on the second disk
  const secrets = secretStore.svc.store.build({
    device: "/dev/vdb",
    keys: ["ppp/username", "ppp/password", "wifi/passphrase"],
  });
  const passphrase = outputRef(secrets, "wifi/passphrase");
  return {
    imports: [gateway, ssh, secretStore],
    hostname: "rotuer",
    // the router's own name on the LAN (dnsmasq answers from /etc/hosts)
    hosts: { "10.8.0.1": ["rotuer.lan.example.org", "rotuer"] },
    users: { root: { passwd: "!!" } },
    services: {
      secrets,
      gateway: gateway.svc.gateway.build({
        wan: {
          type: "pppoe",
          interface: interfaces.wan,
          username: outputRef(secrets, "ppp/username"),
          password: outputRef(secrets, "ppp/password"),
          lcpEcho: { interval: 5, failure: 4 },
        },
        lan: {
          interfaces: [interfaces.lan],
          address: "10.8.0.1",
          prefixLength: 16,
          dhcp: { start: "10.8.0.10", end: "10.8.0.240" },
          domain: "lan.example.org",
          upstreams: ["1.1.1.1", "9.9.9.9"],
          hosts: {
            printer: { mac: "e0:69:95:f3:8b:12", v4: "10.8.0.8" },
            nas: { mac: "00:11:32:aa:bb:cc", v4: "10.8.0.9", v6: ["fd00::9"] },
          },
        },
        wireless: {
          rotuer: {
            interface: interfaces.wlan,
            band: "g",
            channel: 1,
            country: "GB",
            passphrase,
            params: { ieee80211n: 1 },
          },
          // the 5GHz access point where the device has a second radio
          ...(interfaces.wlan5 && {
            rotuer5: {
              interface: interfaces.wlan5,
              band: "a",
              channel: 36,
              country: "GB",
              passphrase,
              params: {
                ieee80211ac: 1,
                ieee80211n: 1,
                ht_capab: "[HT40+]",
                vht_oper_chwidth: 1,
                vht_oper_centr_freq_seg0_idx: 42,
              },
            },
          }),
        },
        // ssh from the WAN too: the key is the only way in
        open: [{ zone: "wan", protocol: "tcp", ports: [22] }],
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
