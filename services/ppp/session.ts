// What every PPP WAN shares, whatever carries its frames (Ethernet for PPPoE, an L2TP tunnel):
// the parameters, the pppd options, the credentials, the ip-up and ip-down scripts that publish
// the link's addresses as outputs (address, peer-address, dns, ifname; bandwidth when given), and
// readiness once it has them. The credentials are never on pppd's command line (which /proc
// shows everyone) nor in a script: they are a secret file of pppd options, `user` and `password`,
// rendered at start into /run/secrets/<service>/ for root alone and read by pppd's `file` option.
import {
  longrun,
  nameSafe,
  readyWhen,
  replaceable,
  secretPath,
  sh,
  z,
  type OutputRef,
  type Service,
} from "../../image/config/index.ts";
import { layout } from "../../runtime/src/layout.ts";
import { formatValue } from "../../runtime/src/secrets/template.ts";

/** A credential or option is one word of a pppd options file, so it cannot hold a line break. */
export const oneLine = z
  .string()
  .min(1)
  .regex(/^[^\r\n\0]*$/, "must be one line");

/** The parameters of every PPP WAN template. */
export const sessionParams = {
  ifname: z
    .string()
    .regex(/^ppp[0-9]+$/, "must be pppN")
    .default("ppp0")
    .describe("Name of the PPP interface (its output ifname)."),
  username: replaceable(oneLine).nullable().default(null).describe("PPP user name; may be an outputRef."),
  password: replaceable(oneLine).nullable().default(null).describe("PPP password; may be an outputRef."),
  debug: z.boolean().default(false).describe("Log pppd's negotiation."),
  lcpEcho: z
    .strictObject({
      interval: z.number().int().min(1).describe("Seconds between LCP echo requests."),
      failure: z.number().int().min(1).describe("Unanswered requests after which the link is down."),
    })
    .nullable()
    .default({ interval: 10, failure: 3 })
    .describe("LCP echoes that notice a dead link; null sends none."),
  bandwidth: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe(
      "Approximate bandwidth of the link in bytes/second, published as the output bandwidth: a firewall zone it joins limits ICMP arriving on it to 1/20 of that.",
    ),
  "ppp-options": z.array(oneLine).default([]).describe("Further pppd options."),
};

export type SessionParams = z.output<z.ZodObject<typeof sessionParams>>;

type LongrunInput = Parameters<typeof longrun>[0];

/** The name of the secret file of credentials, when there are any. */
const credentialsFile = "credentials";

/** Where a PPP service's own files are (ip-up, ip-down, an options file). */
export function scriptsOf(name: string): string {
  return `/etc/limen/ppp/${nameSafe(name)}`;
}

/**
 * pppd's options for the session, each option with its arguments, whatever starts pppd: the
 * addresses IPCP gives, the default route and DNS servers, the link's name, the scripts
 * publishing the outputs, the LCP echoes, the configuration's own options; and the credentials
 * file, when there is one.
 */
export function sessionOptions(name: string, p: SessionParams): string[][] {
  const scripts = scriptsOf(name);
  return [
    ["noipdefault"],
    ["defaultroute"],
    ["usepeerdns"],
    ["+ipv6"],
    ["ifname", p.ifname],
    ["ip-up-script", `${scripts}/ip-up`],
    ["ip-down-script", `${scripts}/ip-down`],
    ...(p.debug ? [["debug"]] : []),
    ...(p.lcpEcho === null
      ? []
      : [
          ["lcp-echo-interval", String(p.lcpEcho.interval)],
          ["lcp-echo-failure", String(p.lcpEcho.failure)],
        ]),
    ...(p["ppp-options"].length === 0 ? [] : [p["ppp-options"]]),
    ...(p.username === null && p.password === null ? [] : [["file", secretPath(name, credentialsFile)]]),
  ];
}

/** The options as an options file's text: an option and its arguments a line, each word quoted for pppd. */
export function optionsFileText(options: string[][]): string {
  return options.map((o) => o.map((w) => formatValue(w, "pppd")).join(" ") + "\n").join("");
}

/**
 * The longrun of a PPP session: `run` is the script's last line, starting what starts pppd with
 * the options of sessionOptions (`ready` execs s6-notifyoncheck, to put before it).
 */
export function sessionService(
  name: string,
  p: SessionParams,
  s: {
    dependencies: Service[];
    kernelModules: string[];
    /** Seconds before a session that does not come up is given up, besides the LCP echoes' time. */
    setupSeconds: number;
    files?: LongrunInput["files"];
    secrets?: LongrunInput["secrets"];
    /** The lines before the last. */
    prepare?: string[];
    /** What ip-down does besides removing the outputs, once a session that was up ends. */
    down?: string[];
    run: (ready: string) => string;
  },
) {
  const scripts = scriptsOf(name);
  const credentials = [
    ...(p.username === null ? [] : optionLine("user", p.username)),
    ...(p.password === null ? [] : optionLine("password", p.password)),
  ];
  const ready = readyWhen(name, sh`test -s ${layout("").outputsOf(name)}/address`, 250);
  return longrun({
    name,
    dependencies: s.dependencies,
    outputs: ["ifname", "address", "peer-address", "dns", ...(p.bandwidth === null ? [] : ["bandwidth"])],
    kernelModules: s.kernelModules,
    // ready once IPCP is up: what routes or resolves through the link starts only then. A dead
    // server gets the LCP echoes' time to answer, and a margin for the set-up.
    notificationFd: ready.notificationFd,
    timeoutUp: (s.setupSeconds + (p.lcpEcho === null ? 20 : p.lcpEcho.interval * p.lcpEcho.failure)) * 1000,
    files: {
      [`${scripts}/ip-up`]: { type: "file", mode: 0o755, content: ipUp(name) },
      [`${scripts}/ip-down`]: { type: "file", mode: 0o755, content: ipDown(name, s.down ?? []) },
      ...ready.files,
      ...s.files,
    },
    secrets: {
      ...(credentials.length === 0 ? {} : { [credentialsFile]: { content: credentials, mode: 0o600 } }),
      ...s.secrets,
    },
    run: [
      sh`echo ${p.ifname} > "$OUTPUTS/ifname"`,
      ...(p.bandwidth === null ? [] : [sh`echo ${p.bandwidth} > "$OUTPUTS/bandwidth"`]),
      ...(s.prepare ?? []),
      s.run(ready.exec),
    ].join("\n"),
  });
}

/** `name "value"` in pppd's options syntax: a literal quoted now, an outputRef when rendered. */
function optionLine(name: string, value: string | OutputRef): (string | { ref: OutputRef; as: "pppd" })[] {
  return typeof value === "string"
    ? [`${name} ${formatValue(value, "pppd")}\n`]
    : [`${name} `, { ref: value, as: "pppd" }, "\n"];
}

// pppd runs these with a clean environment: the link's name, device, speed, local and peer
// address as arguments, the peer's DNS servers as DNS1 and DNS2 (usepeerdns).
function ipUp(service: string): string {
  return [
    "#!/bin/sh",
    "PATH=/bin:/sbin:/usr/bin:/usr/sbin",
    sh`output --set ${service} address "$4"`,
    sh`output --set ${service} peer-address "$5"`,
    sh`echo $DNS1 $DNS2 | output --set ${service} dns`,
    "",
  ].join("\n");
}

function ipDown(service: string, more: string[]): string {
  const outputs = layout("").outputsOf(service);
  return ["#!/bin/sh", sh`rm -f ${outputs}/address ${outputs}/peer-address ${outputs}/dns`, ...more, ""].join("\n");
}
