// Readers of what the lab's commands print in the guests: a DHCP lease, nslookup's answer, the
// ISP's "who am I" page, s6-svstat's state, uptime, a service's outputs, an interface's
// addresses. Each returns null (or an empty answer) for text it does not recognise, so a check
// fails with the text as evidence instead of throwing.

/** What the LAN client's udhcpc script prints for a lease (image/lab/client.ts). */
export interface Lease {
  ip: string;
  /** Prefix length, as udhcpc gives it. */
  mask: number;
  router: string;
  dns: string[];
  domain: string;
}

/** The last `LEASE key=value …` line of the text. */
export function parseLease(text: string): Lease | null {
  const lines = text.split("\n").filter((l) => l.startsWith("LEASE "));
  const last = lines.at(-1);
  if (last === undefined) return null;
  const fields = new Map<string, string>();
  for (const m of last.matchAll(/(\w+)=(\S*)/g)) fields.set(m[1], m[2]);
  const ip = fields.get("ip");
  if (!ip) return null;
  return {
    ip,
    mask: Number(fields.get("mask") ?? NaN),
    router: fields.get("router") ?? "",
    dns: (fields.get("dns") ?? "").split(",").filter(Boolean),
    domain: fields.get("domain") ?? "",
  };
}

export interface Lookup {
  /** The server that answered (busybox nslookup's first Address line, without the port). */
  server: string;
  addresses: string[];
  /** Why there is no answer ("NXDOMAIN", "no response from server", …), if so. */
  error: string | null;
}

/** busybox nslookup's output: the server's lines, then `Name:`/`Address:` pairs or `** …` errors. */
export function parseNslookup(text: string): Lookup {
  let server = "";
  let named = false;
  const addresses: string[] = [];
  let error: string | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const address = /^Address(?: \d+)?:\s*(\S+)/.exec(line);
    if (line.startsWith("Name:")) named = true;
    else if (address && named) addresses.push(address[1]);
    else if (address && server === "") server = address[1].replace(/^\[?([^\]]*?)\]?(?::53)?$/, "$1");
    else if (line.startsWith("**") && error === null)
      error = line.replace(/^\*\*\s*(?:server can't find [^:]+:\s*)?/, "");
    else if (/connection timed out|no servers could be reached/i.test(line) && error === null) error = line;
  }
  return { server, addresses: [...new Set(addresses)], error: addresses.length > 0 ? null : (error ?? "no answer") };
}

/** The ISP's whoami page: the client's source address, IPv4 without busybox httpd's mapped form. */
export function parseWhoami(text: string): string | null {
  const line = text.trim().split("\n").at(-1)?.trim() ?? "";
  const m = /^\[?(?:::ffff:)?([0-9a-fA-F:.]+)\]?$/.exec(line);
  return m ? m[1] : null;
}

export interface ServiceState {
  up: boolean;
  ready: boolean;
  /** Seconds since it became ready, when it is. */
  readyFor: number | null;
}

/** s6-svstat's one line: "up (pid 364) 23 seconds, ready 20 seconds" and the like. */
export function parseSvstat(text: string): ServiceState | null {
  const line = text.trim().split("\n").at(-1) ?? "";
  const m = /^(up|down)\b/.exec(line);
  if (!m) return null;
  const ready = m[1] === "up" ? /\bready (\d+) seconds?/.exec(line) : null;
  return { up: m[1] === "up", ready: ready !== null, readyFor: ready ? Number(ready[1]) : null };
}

/** Seconds since boot, /proc/uptime's first number. */
export function parseUptime(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s/.exec(text);
  return m ? Number(m[1]) : null;
}

/** `svc outputs NAME`: one key=value line per output (a value may be empty). */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z0-9_./-]+)=(.*)$/.exec(line.trim());
    if (m) outputs[m[1]] = m[2];
  }
  return outputs;
}

export interface InterfaceAddress {
  family: "inet" | "inet6";
  address: string;
  /** The far end's address on a point-to-point link (ppp0), if any. */
  peer: string | null;
  prefixLength: number;
}

/** `ip address show` (iproute2's or busybox's, one-line or not): the addresses, in order. */
export function parseIpAddresses(text: string): InterfaceAddress[] {
  return [...text.matchAll(/\b(inet6?) ([0-9a-fA-F:.]+?)(?: peer ([0-9a-fA-F:.]+?))?\/(\d+)/g)].map((m) => ({
    family: m[1] as "inet" | "inet6",
    address: m[2],
    peer: m[3] ?? null,
    prefixLength: Number(m[4]),
  }));
}

/** An IPv4 address as a number, or null. */
export function ipv4(address: string): number | null {
  const parts = address.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** The dotted quad of an IPv4 address as a number (ipv4's inverse). */
export function dottedQuad(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

/** `address` lies between `first` and `last`, inclusive. */
export function inRange(address: string, first: string, last: string): boolean {
  const [a, f, l] = [address, first, last].map(ipv4);
  return a !== null && f !== null && l !== null && f <= a && a <= l;
}

/** An IPv6 address (RFC 4291 text, "::" anywhere, no embedded IPv4) as a number, or null. */
export function ipv6(address: string): bigint | null {
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const groups = halves.map((h) => (h === "" ? [] : h.split(":")));
  const missing = 8 - groups.flat().length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = halves.length === 1 ? groups[0] : [...groups[0], ...Array<string>(missing).fill("0"), ...groups[1]];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** `address` lies in `prefix` ("2001:db8::/32"), both IPv6. */
export function inPrefix6(address: string, prefix: string): boolean {
  const [net, length] = prefix.split("/");
  const [a, n] = [ipv6(address), ipv6(net)];
  const bits = Number(length);
  if (a === null || n === null || !Number.isInteger(bits) || bits < 0 || bits > 128) return false;
  const host = 128n - BigInt(bits);
  return a >> host === n >> host;
}

export interface Tracking {
  /** The reference's address, in parentheses after its ID ("" for none). */
  reference: string;
  stratum: number | null;
}

/** `chronyc -n tracking`: what the clock follows, and at which stratum. */
export function parseTracking(text: string): Tracking {
  const ref = /^Reference ID\s*:\s*\S+\s*\(([^)]*)\)/m.exec(text);
  const stratum = /^Stratum\s*:\s*(\d+)/m.exec(text);
  return { reference: ref ? ref[1] : "", stratum: stratum ? Number(stratum[1]) : null };
}

/** `chronyd -Q`'s verdict after asking a server: the clock's offset in seconds, or null without an answer. */
export function parseClockOffset(text: string): number | null {
  const m = /System clock wrong by (-?\d+(?:\.\d+)?) seconds/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * A TCP connection attempt by busybox nc under `timeout`, as one line `nc rc=CODE WORDS` (its exit
 * code, then the first words it printed): "open" when it connected (the server said something, or
 * the connection ended cleanly), "refused" when a RST came back, "dropped" when nothing came back
 * before timeout(1) ended it.
 */
export function parseConnect(text: string): "open" | "refused" | "dropped" | null {
  const m = /^nc rc=(\d+) ?(.*)$/m.exec(text);
  if (m === null) return null;
  const [, rc, words] = m;
  if (/refused/i.test(words)) return "refused";
  // the shell's "Terminated" is about nc, not from the server
  const said = words.replace(/\bTerminated\b/, "").trim();
  if (rc === "0" || (said !== "" && !said.startsWith("nc"))) return "open";
  // timeout(1) kills nc with SIGTERM (143; 124 where it is coreutils')
  return rc === "124" || rc === "143" ? "dropped" : null;
}

/**
 * One UDP probe by busybox traceroute, one hop away (`-m 1 -q 1`): "reached" when `address` itself
 * answered (its kernel's ICMP port unreachable: the datagram got past the firewall to a port with
 * no listener), "dropped" when nothing came back ("*").
 */
export function parseUdpProbe(text: string, address: string): "reached" | "dropped" | null {
  const m = /^\s*1\s+(\S+)/m.exec(text);
  if (m === null) return null;
  if (m[1] === "*") return "dropped";
  return m[1] === address ? "reached" : null;
}

/** The local ports of UDP sockets in /proc/net/udp and udp6 (as `cat` prints them). */
export function parseUdpListeners(text: string): number[] {
  return [...text.matchAll(/^\s*\d+: [0-9A-F]+:([0-9A-F]{4}) /gm)].map((m) => parseInt(m[1], 16));
}

/** `svc status NAME…`: each service's line, "since=" kept, by name. */
export function parseSvcStatus(text: string): Record<string, { state: string; since: string | null }> {
  const out: Record<string, { state: string; since: string | null }> = {};
  for (const line of text.split("\n")) {
    const m = /^(\S+) (up|down|\S+) \S+.*?(?:since=(\S+))?$/.exec(line.trim());
    if (m) out[m[1]] = { state: m[2], since: m[3] ?? null };
  }
  return out;
}

/** Why pppd has no link, from its log: the last line saying so (null when none does). */
export function parsePppdFailure(text: string): string | null {
  const reasons =
    /(\S*\s*authentication failed.*|Timeout waiting for PADO packets|Unable to complete PPPoE Discovery|LCP: timeout sending Config-Requests|No response to \d+ echo-requests|Couldn't load plugin.*|Modem hangup)\s*$/;
  const lines = text
    .split("\n")
    .map((l) => reasons.exec(l.trim())?.[1])
    .filter((r): r is string => r !== undefined);
  const last = lines.at(-1);
  if (last === undefined) return null;
  // pppd says "CHAP authentication failed: Access denied", then the same without the reason
  return [...lines].reverse().find((l) => l.startsWith(`${last}:`)) ?? last;
}

/**
 * What a shell in an ssh session printed for `ls -l /proc/$$/fd/0` and `echo "flags $-"`: its
 * terminal and option letters.
 */
export interface SshSession {
  /** The terminal the remote shell has, null without one ("not a tty"). */
  tty: string | null;
  /** The shell's option letters: i when interactive, m with job control. */
  flags: string | null;
}

export function parseSshSession(text: string): SshSession {
  const tty = / -> (\/dev\/pts\/\d+)\s*$/m.exec(text);
  // the typed line's echo says `flags $-`, the answer has letters only
  const flags = /^flags ([A-Za-z]+)\s*$/m.exec(text);
  return { tty: tty ? tty[1] : null, flags: flags ? flags[1] : null };
}

/** Why Dropbear's client ended a connection ("No auth methods could be used.", …), null if it does not say. */
export function parseDbclientExit(text: string): string | null {
  // "Connection to … exited: why", or "Exited: why" before a connection
  return /exited: (.+?)\s*$/im.exec(text)?.[1] ?? null;
}

/**
 * Of `sort | uniq -c`'s counts of the fw.closed check's sample lines ("v4 v6 table", each 1 for
 * forwarding on / ruleset loaded): how many forwarded with no ruleset loaded, of how many. */
export function parseForwardingSamples(text: string): { open: number; samples: number } {
  let open = 0;
  let samples = 0;
  for (const m of text.matchAll(/^\s*(\d+) ([01]) ([01]) ([01])\s*$/gm)) {
    samples += Number(m[1]);
    if (m[4] === "0" && (m[2] === "1" || m[3] === "1")) open += Number(m[1]);
  }
  return { open, samples };
}

/** A PPP-over-L2TP session as the kernel lists it in /proc/net/pppol2tp. */
export interface L2tpSession {
  /** The tunnel's own end, address and UDP port. */
  local: string;
  port: number;
  mode: "LAC" | "LNS";
  /** The PPP interface carried, when pppd has attached. */
  ifname: string | null;
}

/** The sessions of /proc/net/pppol2tp (l2tp_ppp's table: the tunnel's source address in hex). */
export function parsePppol2tp(text: string): L2tpSession[] {
  return [
    ...text.matchAll(
      /^ {2}SESSION '[^']*' ([0-9A-F]{8})\/(\d+) .*\n {3}\S*\/(LAC|LNS) .*\n {3}.*(?:\n {3}interface (\S+))?/gm,
    ),
  ].map((m) => ({
    local: dottedQuad(parseInt(m[1], 16)),
    port: Number(m[2]),
    mode: m[3] as "LAC" | "LNS",
    ifname: m[4] ?? null,
  }));
}

/** hostapd_cli status: key=value lines, keys such as ssid[0] for the first BSS. */
export function parseHostapdStatus(text: string): Record<string, string> {
  const status: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z0-9_[\]]+)=(.*)$/.exec(line.trim());
    if (m) status[m[1]] = m[2];
  }
  return status;
}

/** Lines "RADIO <ifname> <phy>": each wireless interface with its phy (the lab's listing from sysfs). */
export function parseRadios(text: string): { ifname: string; phy: string }[] {
  return [...text.matchAll(/^RADIO (\S+) (phy\d+)\s*$/gm)].map((m) => ({ ifname: m[1], phy: m[2] }));
}

/** The station's "STA-TIMES start=… associated=… leased=…", the router's uptime at each (null: never came). */
export function parseStationTimes(
  text: string,
): { start: number; associated: number | null; leased: number | null } | null {
  const m = /^STA-TIMES start=([\d.]+) associated=([\d.]*) leased=([\d.]*)\s*$/m.exec(text);
  if (!m) return null;
  const time = (s: string) => (s === "" ? null : Number(s));
  return { start: Number(m[1]), associated: time(m[2]), leased: time(m[3]) };
}
