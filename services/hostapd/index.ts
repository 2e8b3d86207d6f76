// Wireless access point by hostapd. Its configuration file holds the passphrase: it is a secret
// file, rendered when the service starts into /run/secrets/<service>/ for root alone, so any
// parameter may be an outputRef (a passphrase from a secrets service, say) and a literal one is
// in no script. The service is ready once the access point is up (what bridges it in can only do
// so then), and every access point has the regulatory database its country_code is looked up in.
import {
  defineModule,
  longrun,
  notifyOnCheck,
  outputRef,
  readyWhen,
  replaceable,
  secretPath,
  service,
  sh,
  template,
  z,
  OutputRef,
} from "../../image/config/index.ts";

/** A value on its key's line of hostapd.conf: a line break would add a setting of its own. */
const value = replaceable(
  z.union([
    z.string().regex(/^[^\p{Cc}]*$/u, "must be one line (no line break or control character)"),
    z.number().int(),
    z.boolean(),
  ]),
);

// What every access point needs unless its parameters say otherwise.
const defaults: Record<string, string | number> = {
  driver: "nl80211",
  logger_stdout: -1,
  logger_stdout_level: 2,
  ctrl_interface: "/run/hostapd",
};

/**
 * What every access point needs of the kernel: Kconfig symbols for a kernel built from source,
 * modules where it builds them so. nl80211 is cfg80211's; WPA2's CCMP keys are ccm(aes), which the
 * kernel would ask modprobe for (the image has none): ccm and the ctr it builds on come first.
 */
const kernel = {
  config: {
    WLAN: "y",
    CFG80211: "y",
    MAC80211: "y",
    CRYPTO_CCM: "y",
    CRYPTO_CTR: "y",
    CRYPTO_GCM: "y",
    CRYPTO_CMAC: "y",
  },
  modules: ["cfg80211", "ctr", "ccm"],
};

/**
 * The regulatory database cfg80211 loads through the firmware loader and checks against the keys
 * built into it. Debian's wireless-regdb has two signed copies (chosen by update-alternatives,
 * which an image does not run): upstream's signature is the one both Debian's kernel and a kernel
 * built from its source trust.
 */
const firmware = "/lib/firmware";
const regdb = ["regulatory.db", "regulatory.db.p7s"];

/** The s6 readiness fd: written to once the kernel says the access point is up. */

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
    const ifname = outputRef(p.interface, "ifname");
    const all: Record<string, string | number | boolean | OutputRef> = { interface: ifname, ...defaults, ...p.params };
    const conf = Object.entries(all).flatMap(([k, v]) =>
      v instanceof OutputRef ? [`${k}=`, v, "\n"] : [`${k}=${typeof v === "boolean" ? (v ? 1 : 0) : v}\n`],
    );
    // mac80211 turns the carrier on when the AP starts beaconing, and hostapd says so to no one else
    const carrier = sh`"/sys/class/net/$(output ${name} ifname)/carrier"`;
    const ready = readyWhen(name, `[ "$(cat ${carrier} 2>/dev/null)" = 1 ]`, 1000);
    return longrun({
      name,
      dependencies: [p.interface],
      outputs: ["ifname"],
      kernelModules: kernel.modules,
      notificationFd: ready.notificationFd,
      files: ready.files,
      secrets: { "hostapd.conf": { content: conf, mode: 0o600 } },
      // the kernel may first have to load the regulatory database the country is looked up in
      timeoutUp: 60_000,
      run: [
        // its control sockets' folder (ctrl_interface)
        "mkdir -p /run/hostapd",
        sh`echo ${ifname} > "$OUTPUTS/ifname"`,
        `${ready.exec} ` + sh`hostapd ${secretPath(name, "hostapd.conf")}`,
      ].join("\n"),
    });
  },
);

export default defineModule({
  name: "hostapd",
  config: {
    packages: [
      "hostapd",
      notifyOnCheck,
      { name: "wireless-regdb:all", files: regdb.map((f) => `${firmware}/${f}-upstream`) },
    ],
    filesystem: Object.fromEntries(
      regdb.map((f) => [`${firmware}/${f}`, { type: "symlink", target: `${f}-upstream` }]),
    ),
    programs: { busybox: { applets: ["cat", "kill", "sleep"] } },
    kernel: { config: kernel.config },
  },
  svc: { hostapd },
});
