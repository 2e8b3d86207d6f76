// A router whose ISP hands out PPP over L2TP on top of a plain upstream link, on the gateway
// profile: the WAN port takes an address by DHCP, and over it xl2tpd tunnels to the ISP's LNS (the
// lease's router) and pppd logs in with the ISP's credentials, taking the address, peer and DNS
// servers IPCP hands it. The LAN side: a bridge (the wired port), DNS and DHCP with a fixed address
// for a known host, NTP for the LAN, a firewall with NAT and key-only ssh. The credentials are on a
// disk of their own (a secrets store). `npm run lab -- --config examples/router-with-l2tp.ts
// [--secrets DIR]` tries it against a simulated ISP.
import { defineConfig, outputRef } from "../image/config/index.ts";
import l2tp from "../services/ppp/l2tp.ts";
import gateway from "../services/profiles/gateway.ts";
import secretStore from "../services/secrets-store/index.ts";
import ssh from "../services/ssh/index.ts";

export default defineConfig(({ interfaces }) => {
  // ppp/username and ppp/password, files on an ext4 file system on the second disk
  const secrets = secretStore.svc.store.build({ device: "/dev/vdb", keys: ["ppp/username", "ppp/password"] });
  return {
    // l2tp brings xl2tpd, which a gateway carries only when its WAN is a tunnel
    imports: [gateway, l2tp, secretStore, ssh],
    hostname: "tunnel",
    hosts: { "10.9.0.1": ["tunnel.lan.example.org", "tunnel"] },
    users: { root: { passwd: "!!" } },
    services: {
      secrets,
      gateway: gateway.svc.gateway.build({
        wan: {
          type: "l2tp",
          interface: interfaces.wan,
          username: outputRef(secrets, "ppp/username"),
          password: outputRef(secrets, "ppp/password"),
          lcpEcho: { interval: 5, failure: 4 },
        },
        // no delegated prefix from this ISP
        ipv6: false,
        lan: {
          interfaces: [interfaces.lan],
          address: "10.9.0.1",
          prefixLength: 16,
          dhcp: { start: "10.9.0.10", end: "10.9.0.240" },
          domain: "lan.example.org",
          hosts: { printer: { mac: "e0:69:95:f3:8b:12", v4: "10.9.0.8" } },
        },
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
    defaultProfile: { packages: [{ name: "iproute2", files: ["/bin/ip"] }] },
  };
});
