// A wireless access point on a LAN whose main router is elsewhere (the manual's "extneder"), on
// the wap profile: its Wi-Fi and both wired ports are one bridge, so the LAN's clients take their
// leases from the main router through it. The access point's own address comes by DHCP on a
// tagged management VLAN (id 10) beside the untagged LAN: its ssh is reached there, not from the
// LAN. The port marked wan is the uplink to the main router, carrying the LAN untagged and the
// management VLAN tagged; the lan port is a wired LAN port. The Wi-Fi passphrase comes from a
// secrets store on the second disk. `npm run lab -- --config examples/access-point.ts` tries it
// with the lab's ISP playing the main router.
import { defineConfig, outputRef } from "../image/config/index.ts";
import console from "../services/console/index.ts";
import wap from "../services/profiles/wap.ts";
import secretStore from "../services/secrets-store/index.ts";
import ssh from "../services/ssh/index.ts";

export default defineConfig(({ interfaces }) => {
  const secrets = secretStore.svc.store.build({ device: "/dev/vdb", keys: ["wifi/passphrase"] });
  return {
    imports: [wap, ssh, secretStore, console],
    hostname: "access-point",
    users: {
      // The console password is "secret": change it before others can reach the console.
      root: {
        passwd:
          "$6$6HG7WALLQQY1LQDE$428cnouMJ7wVmyK9.dF1uWs7t0z9ztgp3MHvN5bbeo0M4Kqg/u2ThjoSHIjCEJQlnVpDOaEKcOjXAlIClHWN21",
      },
    },
    services: {
      secrets,
      wap: wap.svc.wap.build({
        interfaces: [interfaces.wan, interfaces.lan],
        wireless: {
          "access-point": {
            interface: interfaces.wlan,
            band: "g",
            channel: 6,
            country: "GB",
            passphrase: outputRef(secrets, "wifi/passphrase"),
            params: { ieee80211n: 1 },
          },
        },
        management: { vid: 10 },
      }),
      sshd: ssh.svc.ssh.build({
        allowPasswordLogin: false,
        allowPasswordLoginForRoot: false,
        // on an emulated device (run.sh --authorized-key, the lab): the key of whoever starts it
        authorizedKeys: { root: { home: "/home/root", fromRunScript: true } },
      }),
      console: console.svc.getty.build({}),
    },
  };
});
