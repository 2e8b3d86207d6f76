// Wireless access point by hostapd. Its configuration file is written when the service starts, so
// any parameter may be an outputRef (a passphrase from a secrets service, say).
import { defineModule, longrun, outputRef, replaceable, service, sh, template, z } from "../../image/config/index.ts";

const value = replaceable(z.union([z.string(), z.number().int(), z.boolean()]));

// What every access point needs unless its parameters say otherwise.
const defaults: Record<string, string | number> = {
  driver: "nl80211",
  logger_stdout: -1,
  logger_stdout_level: 2,
  ctrl_interface: "/run/hostapd",
};

const hostapd = template(
  "hostapd",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <interface's name>.hostapd when not given."),
    interface: service.describe("The radio's interface (output ifname)."),
    params: z
      .record(z.string().regex(/^[a-z0-9_]+$/, "must be a hostapd.conf key"), value)
      .describe("hostapd.conf settings (ssid, channel, wpa_passphrase, …); any may be an outputRef."),
  }),
  (p) => {
    const name = p.name ?? `${p.interface.name}.hostapd`;
    const conf = `/run/hostapd/${name}.conf`;
    const ifname = outputRef(p.interface, "ifname");
    const all = { ...defaults, ...p.params };
    const lines = Object.entries(all).map(
      ([k, v]) => sh`printf '%s=%s\\n' ${k} ${typeof v === "boolean" ? (v ? 1 : 0) : v}`,
    );
    return longrun({
      name,
      dependencies: [p.interface],
      outputs: ["ifname"],
      run: [
        "mkdir -p /run/hostapd",
        `{\n${[sh`printf 'interface=%s\\n' ${ifname}`, ...lines].join("\n")}\n} > ${sh`${conf}`}`,
        sh`echo ${ifname} > "$OUTPUTS/ifname"`,
        sh`exec hostapd ${conf}`,
      ].join("\n"),
    });
  },
);

export default defineModule({
  name: "hostapd",
  config: {
    packages: ["hostapd"],
    kernel: { config: { WLAN: "y", CFG80211: "y", MAC80211: "y", CRYPTO_CCM: "y", CRYPTO_GCM: "y", CRYPTO_CMAC: "y" } },
  },
  svc: { hostapd },
});
