// Wireless access point by hostapd. Its configuration file holds the passphrase: it is a secret
// file, rendered when the service starts into /run/secrets/<service>/ for root alone, so the
// passphrase may be an outputRef (from a secrets service, say) and a literal one is in no script.
// The common settings are typed and checked when the configuration is evaluated (a channel of the
// band, a passphrase WPA takes); any other goes through `extra`, one line each. The service is
// ready once the access point is up (what bridges it in can only do so then), and every access
// point has the regulatory database its country_code is looked up in.
import {
  defineModule,
  longrun,
  notifyOnCheck,
  outputRef,
  readyWhen,
  replaceable,
  secretPath,
  sh,
  template,
  z,
  OutputRef,
  Service,
} from "../../image/config/index.ts";
import { isRadio } from "../network/index.ts";

/** A value on its key's line of hostapd.conf: a line break would add a setting of its own. */
const line = z.string().regex(/^[^\p{Cc}]*$/u, "must be one line (no line break or control character)");
const value = replaceable(z.union([line, z.number().int(), z.boolean()]));
/** hostapd's 0/1 switches: written 1 or 0. */
const flag = z.union([z.boolean(), z.literal(0), z.literal(1)]);

/** A space-separated list of hostapd's names for one setting (wpa_key_mgmt's WPA-PSK SAE). */
function names(known: readonly string[], what: string) {
  return z
    .string()
    .regex(/^\S+( \S+)*$/, `must be ${what} separated by single spaces`)
    .superRefine((v, ctx) => {
      for (const n of v.split(" "))
        if (!known.includes(n)) ctx.addIssue({ code: "custom", message: `${n} is not one of ${known.join(", ")}` });
    });
}
const keyManagement = [
  "WPA-PSK",
  "WPA-PSK-SHA256",
  "WPA-EAP",
  "WPA-EAP-SHA256",
  "SAE",
  "FT-PSK",
  "FT-EAP",
  "FT-SAE",
  "OWE",
];
const ciphers = ["CCMP", "TKIP", "CCMP-256", "GCMP", "GCMP-256"];
/** ht_capab, vht_capab: each capability in brackets. */
const capabilities = z
  .string()
  .regex(/^(\[[A-Za-z0-9_+-]+\])+$/, "must be capabilities in brackets, as [HT40+][SHORT-GI-20]");

/**
 * The 20 MHz channels of each hw_mode's band (channel 0, hostapd choosing, is any band's): 2.4 GHz
 * 1–13 (14 for 802.11b alone), the 5 GHz UNII bands, 60 GHz 1–6. The country then says which of
 * them the radio may use; 6 GHz (op_class) is not typed.
 */
const step = (from: number, to: number, by: number) =>
  Array.from({ length: Math.floor((to - from) / by) + 1 }, (_, i) => from + i * by);
export const bands: Record<string, { channels: number[]; what: string }> = {
  b: { channels: step(1, 14, 1), what: "1–14" },
  g: { channels: step(1, 13, 1), what: "1–13" },
  a: {
    channels: [...step(36, 64, 4), ...step(100, 144, 4), ...step(149, 177, 4)],
    what: "36–64, 100–144 or 149–177 in steps of 4",
  },
  ad: { channels: step(1, 6, 1), what: "1–6" },
  any: { channels: [], what: "none but 0, hostapd choosing" },
};

/** The keys typed here; `extra` takes any other of hostapd.conf. */
const params = z
  .strictObject({
    ssid: replaceable(
      line.refine((s) => Buffer.byteLength(s) >= 1 && Buffer.byteLength(s) <= 32, "must be 1 to 32 bytes"),
    ).describe("The network's name, 1–32 bytes."),
    hw_mode: z
      .enum(["a", "b", "g", "ad", "any"])
      .describe("Band and mode: g or b on 2.4 GHz, a on 5 GHz, ad on 60 GHz, any (with channel 0)."),
    channel: z
      .number()
      .int()
      .min(0)
      .describe("A channel of hw_mode's band (1–13 for g, 36–177 for a); 0 lets hostapd choose."),
    country_code: z
      .string()
      .regex(/^[A-Z]{2}$/, "must be a country's ISO 3166-1 code, two capital letters")
      .optional()
      .describe("Country whose regulatory rules the radio follows (GB, DE, US…)."),
    wmm_enabled: flag.optional().describe("Wi-Fi Multimedia (QoS); 802.11n and later need it."),
    auth_algs: z
      .union([z.literal(1), z.literal(2), z.literal(3)])
      .optional()
      .describe("1: open system authentication (WPA needs it), 2: shared key (WEP), 3: both."),
    wpa: z
      .union([z.literal(1), z.literal(2), z.literal(3)])
      .optional()
      .describe("WPA versions offered: 2 WPA2 (RSN), 1 WPA, 3 both."),
    wpa_key_mgmt: names(keyManagement, "key management methods")
      .optional()
      .describe("Key management methods, space-separated: WPA-PSK, SAE…"),
    wpa_pairwise: names(ciphers, "ciphers").optional().describe("WPA's pairwise ciphers, space-separated."),
    rsn_pairwise: names(ciphers, "ciphers").optional().describe("WPA2's pairwise ciphers, space-separated: CCMP…"),
    wpa_passphrase: replaceable(
      z
        .string()
        .regex(/^[\x20-\x7e]*$/, "must be printable ASCII")
        .min(8, "must be 8 to 63 characters")
        .max(63, "must be 8 to 63 characters"),
    )
      .optional()
      .describe("WPA's passphrase, 8–63 printable ASCII characters; an outputRef keeps it out of the image."),
    ieee80211n: flag.optional().describe("802.11n (HT)."),
    ieee80211ac: flag.optional().describe("802.11ac (VHT), on 5 GHz."),
    ieee80211ax: flag.optional().describe("802.11ax (HE)."),
    ht_capab: capabilities.optional().describe("802.11n capabilities: [HT40+][SHORT-GI-20]…"),
    vht_capab: capabilities.optional().describe("802.11ac capabilities: [SHORT-GI-80][RXLDPC]…"),
    vht_oper_chwidth: z
      .union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)])
      .optional()
      .describe("802.11ac channel width: 0 20 or 40 MHz, 1 80, 2 160, 3 80+80."),
    vht_oper_centr_freq_seg0_idx: z
      .number()
      .int()
      .min(1)
      .max(255)
      .optional()
      .describe("802.11ac: the channel at the centre of the 80 or 160 MHz block (42 for 36–48)."),
    he_oper_chwidth: z
      .union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)])
      .optional()
      .describe("802.11ax channel width, as vht_oper_chwidth."),
    he_oper_centr_freq_seg0_idx: z
      .number()
      .int()
      .min(1)
      .max(255)
      .optional()
      .describe("802.11ax: the channel at the centre of the block, as vht_oper_centr_freq_seg0_idx."),
  })
  .superRefine((p, ctx) => {
    const band = bands[p.hw_mode];
    if (p.channel !== 0 && !band.channels.includes(p.channel))
      ctx.addIssue({
        code: "custom",
        path: ["channel"],
        message: `${p.channel} is no channel of hw_mode ${p.hw_mode}'s band (${band.what}; 0: hostapd chooses)`,
      });
  });

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

/** A radio's interface: a link its device declares a radio (undefined where the device has no such radio). */
const radio = z
  .instanceof(Service, { message: "expected a radio's interface (interfaces.wlan…): the device has no such radio" })
  .refine(isRadio, "is not a radio's interface: its link is not declared a radio (network.link radio)")
  .meta({ type: "service" });

const hostapd = template(
  "hostapd",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <interface's name>.hostapd when not given."),
    interface: radio.describe("The radio's interface (output ifname): a link its device declares a radio."),
    params: params.describe("hostapd.conf's common settings, checked; ssid and wpa_passphrase may be outputRefs."),
    extra: z
      .record(z.string().regex(/^[a-z0-9_]+$/, "must be a hostapd.conf key"), value)
      .default({})
      .superRefine((extra, ctx) => {
        for (const key of Object.keys(extra))
          if (key in params.shape || key === "interface" || key in defaults)
            ctx.addIssue({ code: "custom", path: [key], message: `is set by params.${key} or the template, not here` });
      })
      .describe("Any other hostapd.conf setting, one line each; any may be an outputRef."),
  }),
  (p) => {
    const name = p.name ?? `${p.interface.name}.hostapd`;
    const ifname = outputRef(p.interface, "ifname");
    const all: Record<string, string | number | boolean | OutputRef> = {
      interface: ifname,
      ...defaults,
      ...p.params,
      ...p.extra,
    };
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
