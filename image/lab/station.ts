// The lab's Wi-Fi station, inside the router guest: the spare emulated radio (the QEMU devices make
// one more than the configuration uses) moved into a network namespace of its own, where
// wpa_supplicant associates with one of the router's access points and busybox udhcpc takes a lease
// over its bridge, as a laptop would. Its tools are added to the lab's build of the router only
// (buildImage's testPackages): the image a user flashes has none of them.
import type { PackageEntry } from "../config/options.ts";
import { shellQuote } from "../config/shell.ts";

/** Debian's station tools, iproute2's ip (ip netns) and nft (dropEcho), for the lab's build of the router. */
export const stationPackages: PackageEntry[] = [
  { name: "wpasupplicant", files: ["/sbin/wpa_supplicant", "/sbin/wpa_cli"] },
  { name: "iw", files: ["/sbin/iw"] },
  { name: "iproute2", files: ["/bin/ip"] },
  { name: "nftables", files: ["/usr/sbin/nft"] },
];

/** The station's network namespace, and where its files go on the router. */
const netns = "lab-sta";
const files = "/tmp/lab-sta";
const control = "/run/lab-sta";

/** Each wireless interface with its phy, as lines parseRadios reads. */
export const listRadios =
  'for l in /sys/class/net/*/phy80211; do [ -e "$l" ] || continue; d="${l%/phy80211}"; echo "RADIO ${d##*/} $(cat "$l/name")"; done';

/** `lines` written to `file` by one command line (the console takes no multi-line input). */
function write(file: string, lines: string[]): string {
  return `printf '%s\\n' ${lines.map(shellQuote).join(" ")} > ${file}`;
}

/** udhcpc's script: the lease on the station's interface, printed as the LAN client's script prints it. */
const leaseScript = [
  "#!/bin/sh",
  'case "$1" in bound|renew) ip address replace "$ip/$mask" dev "$interface";' +
    ' ip route replace default via "${router%% *}" dev "$interface";' +
    ' echo "LEASE ip=$ip mask=$mask router=$(echo $router | tr " " ,) dns=$(echo $dns | tr " " ,) domain=$domain";; esac',
];

/**
 * Drops, on the wired ports of the access point's bridge, frames from the station's address: QEMU's
 * multicast networks hand a guest back its own frames, so what the router floods to the LAN
 * segment would come back on its LAN port and move the station there in the bridge's table.
 */
function dropEcho(ap: string, mac: string): string {
  const chain = '"echo-$n"';
  return [
    `nft add table netdev ${netns}`,
    `ok=1; for p in /sys/class/net/${ap}/master/brif/*; do n="\${p##*/}"; [ -e "$p" ] && [ ! -e "/sys/class/net/$n/phy80211" ] || continue`,
    `nft add chain netdev ${netns} ${chain} "{ type filter hook ingress device $n priority 0; }" && nft add rule netdev ${netns} ${chain} ether saddr "${mac}" drop || ok=; done`,
    '[ -n "$ok" ]',
  ].join("; ");
}

/**
 * Moves the spare radio (`ifname` on `phy`) into the station's namespace, with the lease script
 * ready; `echo`: the bridge's wired ports are on multicast segments, which hand frames back.
 */
export function stationSetup(phy: string, ifname: string, ap: string, echo: boolean): string {
  // a namespace left by an earlier run goes first (its deletion may fail: there is none)
  return (
    `${stationTeardownQuiet}; mac=$(cat /sys/class/net/${ifname}/address) && ` +
    [
      ...(echo ? [`{ ${dropEcho(ap, "$mac")}; }`] : []),
      `ip netns add ${netns}`,
      `iw phy ${phy} set netns name ${netns}`,
      `ip -n ${netns} link set lo up`,
      write(`${files}-lease`, leaseScript),
      `chmod 755 ${files}-lease`,
      `echo STA-READY`,
    ].join(" && ")
  );
}

/** The centre frequency (MHz) of a 20 MHz channel, so the station scans only there; null for channel 0. */
export function channelFrequency(hwMode: string, channel: number): number | null {
  if (channel === 0) return null;
  if (hwMode === "a") return 5000 + 5 * channel;
  if (hwMode === "ad") return 56160 + 2160 * channel;
  return channel === 14 ? 2484 : 2407 + 5 * channel;
}

/** wpa_supplicant's configuration for a WPA-PSK network (the SSID in hex: no quoting to get wrong). */
function supplicantConf(ssid: string, passphrase: string, frequency: number | null): string[] {
  return [
    `ctrl_interface=${control}`,
    "network={",
    `ssid=${Buffer.from(ssid).toString("hex")}`,
    `psk="${passphrase}"`,
    "key_mgmt=WPA-PSK",
    ...(frequency === null ? [] : [`scan_freq=${frequency}`]),
    "}",
  ];
}

const uptime = "$(busybox cut -d' ' -f1 /proc/uptime)";
const state = (ifname: string) => `wpa_cli -p ${control} -i ${ifname} status 2>/dev/null | busybox grep '^wpa_state='`;

/**
 * Starts wpa_supplicant in the namespace, waits (60 s at most) for it to complete the handshake,
 * then for udhcpc's lease: prints the lease line and "STA-TIMES start= associated= leased=", the
 * router's uptime at each step (empty where it never came).
 */
export function associate(ifname: string, ssid: string, passphrase: string, frequency: number | null): string {
  return [
    `${write(`${files}.conf`, supplicantConf(ssid, passphrase, frequency))}`,
    `t0=${uptime}; t1=; t2=`,
    `ip netns exec ${netns} wpa_supplicant -B -i ${ifname} -c ${files}.conf -P ${files}.pid -f ${files}.log`,
    `n=0; while [ $n -lt 300 ]; do [ "$(${state(ifname)})" = wpa_state=COMPLETED ] && { t1=${uptime}; break; }; n=$((n+1)); sleep 0.2; done`,
    `[ -z "$t1" ] || { ip netns exec ${netns} busybox udhcpc -i ${ifname} -n -q -t 10 -T 3 -s ${files}-lease && t2=${uptime}; }`,
    `echo "STA-TIMES start=$t0 associated=$t1 leased=$t2"`,
  ].join("; ");
}

/** From the station, the ISP's web server's view of its source address (as whoami). */
export function stationFetch(url: string): string {
  return `rm -f ${files}-whoami; ip netns exec ${netns} busybox timeout 30 busybox wget -O ${files}-whoami ${url} 2>&1; cat ${files}-whoami`;
}

/**
 * Stops the station and tries again with `passphrase` (a wrong one): prints "STA-WRONG refused"
 * once wpa_supplicant says the key was wrong, "associated" if it completes the handshake after all,
 * or "timeout", and then what it logged of it.
 */
export function associateRefused(ifname: string, ssid: string, passphrase: string, frequency: number | null): string {
  const log = `${files}-wrong.log`;
  return [
    stopStation,
    `ip -n ${netns} address flush dev ${ifname}`,
    write(`${files}-wrong.conf`, supplicantConf(ssid, passphrase, frequency)),
    `ip netns exec ${netns} wpa_supplicant -B -i ${ifname} -c ${files}-wrong.conf -P ${files}.pid -f ${log}`,
    `r=timeout; n=0; while [ $n -lt 300 ]; do [ "$(${state(ifname)})" = wpa_state=COMPLETED ] && { r=associated; break; }; busybox grep -q -e WRONG_KEY -e 'may be incorrect' ${log} && { r=refused; break; }; n=$((n+1)); sleep 0.2; done`,
    `echo "STA-WRONG $r"`,
    `busybox grep -e WRONG_KEY -e 'may be incorrect' -e CTRL-EVENT-CONNECTED ${log} | busybox head -n 3`,
  ].join("; ");
}

const stopStation = `[ ! -e ${files}.pid ] || busybox kill $(cat ${files}.pid) 2>/dev/null; busybox sleep 1`;

const stationTeardownQuiet = `ip netns del ${netns} 2>/dev/null; nft delete table netdev ${netns} 2>/dev/null`;

/** Stops the station and deletes its namespace (the radio goes back to the router's own) and its drop rules. */
export const stationTeardown = `${stopStation}; ${stationTeardownQuiet}; echo STA-GONE`;
