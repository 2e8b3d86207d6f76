// The wireless networks of a profile: one hostapd access point per radio, WPA2-PSK (CCMP) with
// WMM, its channel checked against its band and its passphrase against WPA's 8–63 characters.
import { isIPv4 } from "node:net";
import { interfaceService, z, type Service } from "../../image/config/index.ts";
import hostapd, { bands } from "../hostapd/index.ts";

/** hostapd's checked settings; those the profile sets from a network's own options are not a network's params. */
const typed = hostapd.svc.hostapd.params.shape.params.shape;
const settable = z
  .strictObject(typed)
  .omit({ ssid: true, hw_mode: true, channel: true, country_code: true, wpa_passphrase: true });

export const wirelessNetwork = z
  .strictObject({
    interface: interfaceService.describe("The radio's interface (output ifname), e.g. interfaces.wlan."),
    band: z.enum(["g", "a"]).describe('"g" for 2.4 GHz, "a" for 5 GHz (hostapd\'s hw_mode).'),
    channel: z.number().int().describe("Channel number, one of the band's (1–14 at 2.4 GHz, 36–177 at 5 GHz)."),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, "must be a two-letter country code such as GB")
      .describe("Country whose regulatory rules apply (hostapd's country_code)."),
    passphrase: typed.wpa_passphrase
      .unwrap()
      .describe("WPA2 passphrase, 8 to 63 characters; an outputRef (a secrets store's) keeps it out of the image."),
    params: settable
      .default({})
      .describe("Further checked hostapd.conf settings (ieee80211n, ht_capab, …), over the profile's."),
    extra: hostapd.svc.hostapd.params.shape.extra.describe("Any other hostapd.conf setting, one line each."),
  })
  .superRefine((n, ctx) => {
    const band = bands[n.band];
    if (!band.channels.includes(n.channel))
      ctx.addIssue({
        code: "custom",
        path: ["channel"],
        message: `${n.channel} is no ${n.band === "g" ? "2.4 GHz" : "5 GHz"} channel (band "${n.band}": ${band.what})`,
      });
  });

/** Wireless networks by SSID. */
export const wirelessNetworks = z
  .record(z.string().min(1).max(32, "an SSID is at most 32 bytes"), wirelessNetwork)
  .default({})
  .describe("Access points by SSID: radio interface, band, channel, country, passphrase, further hostapd settings.");

/** One hostapd service per network, ready once its access point is up. */
export function accessPoints(networks: z.output<typeof wirelessNetworks>): Service[] {
  return Object.entries(networks).map(([ssid, n]) =>
    hostapd.svc.hostapd.build({
      interface: n.interface,
      params: {
        country_code: n.country,
        wmm_enabled: 1,
        auth_algs: 1,
        wpa: 2,
        wpa_key_mgmt: "WPA-PSK",
        rsn_pairwise: "CCMP",
        ssid,
        hw_mode: n.band,
        channel: n.channel,
        wpa_passphrase: n.passphrase,
        ...n.params,
      },
      extra: n.extra,
    }),
  );
}

/** An IPv4 address. */
export const ipv4 = z.string().refine((a) => isIPv4(a), "must be an IPv4 address");

/** The network of `address`/`prefixLength`, as a.b.c.d/n. */
export function subnetOf(address: string, prefixLength: number): string {
  const n = address.split(".").reduce((a, b) => a * 256 + Number(b), 0);
  const mask = prefixLength === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefixLength);
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join(".")}/${prefixLength}`;
}
