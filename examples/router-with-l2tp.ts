// A router whose ISP hands out PPP over L2TP on top of a plain upstream link: the WAN port takes
// an address by DHCP, and over it xl2tpd tunnels to the ISP's LNS (here the lease's router) and
// pppd logs in with the ISP's credentials, taking the address, peer and DNS servers IPCP hands it
// and routing through the link. The LAN side is rotuer's: a bridge (the wired port), DNS and DHCP
// with fixed addresses for known hosts, NTP for the LAN, a firewall with NAT and key-only ssh. The
// credentials are on a disk of their own (a secrets store). `npm run lab -- --config
// examples/router-with-l2tp.ts [--secrets DIR]` tries it against a simulated ISP.
import { defineConfig, outputRef } from "../image/config/index.ts";
import bridge from "../services/bridge/index.ts";
import dnsmasq from "../services/dnsmasq/index.ts";
import firewall from "../services/firewall/index.ts";
import network from "../services/network/index.ts";
import ntp from "../services/ntp/index.ts";
import l2tp from "../services/ppp/l2tp.ts";
import secretStore from "../services/secrets-store/index.ts";
import ssh from "../services/ssh/index.ts";

export default defineConfig(({ interfaces }) => {
  // ppp/username and ppp/password, files on an ext4 file system on the second disk
  const secrets = secretStore.svc.store.build({ device: "/dev/vdb", keys: ["ppp/username", "ppp/password"] });
  // the upstream link: an address, no default route (that is the tunnel's)
  const upstream = network.svc.dhcp.client.build({ interface: interfaces.wan });
  const wan = l2tp.svc.l2tp.build({
    name: "wan.l2tp",
    upstream,
    lns: outputRef(upstream, "router"),
    username: outputRef(secrets, "ppp/username"),
    password: outputRef(secrets, "ppp/password"),
    lcpEcho: { interval: 5, failure: 4 },
  });
  const int = bridge.svc.primary.build({ ifname: "int" });
  const intAddress = network.svc.address.build({
    interface: int,
    family: "inet",
    address: "10.9.0.1",
    prefixLength: 16,
  });
  // the tunnel's link joins the wan zone each time it comes up: NAT follows a reconnected session.
  // The upstream link is in it too: nothing but the tunnel's traffic is let in there
  const fw = firewall.svc.firewall.build({
    zones: { lan: [int], wan: [wan, interfaces.wan] },
    open: [{ zone: "wan", protocol: "tcp", ports: [22] }],
  });
  // nothing faces the ISP before the ruleset is loaded
  upstream.after(fw);
  return {
    imports: [network, bridge, dnsmasq, firewall, ntp, l2tp, secretStore, ssh],
    hostname: "tunnel",
    hosts: { "10.9.0.1": ["tunnel.lan.example.org", "tunnel"] },
    users: { root: { passwd: "!!" } },
    services: {
      secrets,
      members: bridge.svc.members.build({ primary: int, members: [interfaces.lan] }),
      intAddress,
      upstream,
      wan,
      dns: dnsmasq.svc.dnsmasq.build({
        interface: intAddress,
        ranges: ["10.9.0.10,10.9.0.240"],
        domain: "lan.example.org",
        // the DNS servers IPCP handed over
        resolvconf: wan,
        hosts: { printer: { mac: "e0:69:95:f3:8b:12", v4: "10.9.0.8" } },
      }),
      firewall: fw,
      forwarding: network.svc.forward.build({}).after(fw),
      ntp: ntp.svc.ntp.build({
        pools: { "pool.ntp.org": ["iburst"] },
        makestep: { threshold: 1.0, limit: 3 },
        allow: ["10.9.0.0/16"],
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
    defaultProfile: { packages: [{ name: "iproute2", files: ["/bin/ip"] }] },
  };
});
