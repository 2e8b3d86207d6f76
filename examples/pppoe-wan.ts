// A small router on a PPPoE line (a DSL or fibre ISP's): pppd logs in with the ISP's credentials,
// takes the address, peer and DNS servers IPCP hands it and routes through the link; the LAN gets
// addresses, names and time from dnsmasq and chrony, and reaches the internet through the
// firewall's NAT; only ssh is open from the WAN. The
// credentials are on a disk of their own (a secrets store), not in this file; root logs in by
// ssh key only. `npm run lab -- --config examples/pppoe-wan.ts [--secrets DIR]` tries it against a
// simulated ISP before it is flashed.
import { defineConfig, outputRef } from "../image/config/index.ts";
import dnsmasq from "../services/dnsmasq/index.ts";
import firewall from "../services/firewall/index.ts";
import network from "../services/network/index.ts";
import ntp from "../services/ntp/index.ts";
import ppp from "../services/ppp/index.ts";
import secretStore from "../services/secrets-store/index.ts";
import ssh from "../services/ssh/index.ts";

export default defineConfig(({ interfaces }) => {
  // ppp/username and ppp/password, files on an ext4 file system on the second disk
  const secrets = secretStore.svc.store.build({ device: "/dev/vdb", keys: ["ppp/username", "ppp/password"] });
  const wan = ppp.svc.pppoe.build({
    interface: interfaces.wan,
    username: outputRef(secrets, "ppp/username"),
    password: outputRef(secrets, "ppp/password"),
    // a 16 Mbit/s line: the firewall lets ICMP from the ISP use 1/20 of it
    bandwidth: 2_000_000,
  });
  // ppp0 joins the wan zone each time the link comes up: NAT follows a reconnected link
  const fw = firewall.svc.firewall.build({
    zones: { lan: [interfaces.lan], wan: [wan] },
    // ssh from the WAN too: the key is the only way in
    open: [{ zone: "wan", protocol: "tcp", ports: [22] }],
  });
  // the link is dialled only once the ruleset is loaded: nothing faces the ISP without it
  wan.after(fw);
  const lanAddress = network.svc.address.build({
    interface: interfaces.lan,
    family: "inet",
    address: "10.6.0.1",
    prefixLength: 16,
  });
  return {
    imports: [network, dnsmasq, firewall, ntp, ppp, secretStore, ssh],
    hostname: "dsl",
    users: {
      // no password: the key is the only way in (put your own here)
      root: {
        passwd: "!!",
        openssh: {
          authorizedKeys: {
            keys: [
              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBCdgkGhDOfhGjh3mT0uGbqa7PQOaJ6hkT2Kd/W1ZvyM admin@example.org",
            ],
          },
        },
      },
    },
    services: {
      secrets,
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
      // the LAN's clock, from the internet's
      ntp: ntp.svc.ntp.build({
        pools: { "pool.ntp.org": ["iburst"] },
        makestep: { threshold: 1.0, limit: 3 },
        allow: ["10.6.0.0/16"],
      }),
      sshd: ssh.svc.ssh.build({ allowPasswordLogin: false, allowPasswordLoginForRoot: false }),
    },
    hosts: { "10.6.0.1": ["dsl.lan.test", "dsl"] },
    programs: { busybox: { applets: ["ps", "grep"] } },
    defaultProfile: { packages: [{ name: "iproute2", files: ["/bin/ip"] }] },
  };
});
