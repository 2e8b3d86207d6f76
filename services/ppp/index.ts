// PPP over Ethernet by pppd and its rp-pppoe plugin. Username and password may be outputRefs.
// The service is ready once the link has addresses, which it publishes as outputs (address,
// peer-address, dns, ifname; bandwidth when given) for routes, DNS and the firewall to read.
// The credentials are never on pppd's command line (which /proc shows everyone) nor in the run
// script: they are a secret file of pppd options, `user` and `password`, rendered at start into
// /run/secrets/<service>/ for root alone and named by pppd's `file` option.
import {
  defineModule,
  longrun,
  nameSafe,
  notifyOnCheck,
  outputRef,
  readyWhen,
  replaceable,
  secretPath,
  service,
  sh,
  template,
  z,
  type OutputRef,
} from "../../image/config/index.ts";
import { layout } from "../../runtime/src/layout.ts";
import { formatValue } from "../../runtime/src/secrets/template.ts";

/** PPP and PPPoE: Kconfig symbols for a kernel built from source, modules where it builds them so. */
const kernel = { config: { PPP: "y", PPPOE: "y", PPP_ASYNC: "y", PPP_SYNC_TTY: "y" }, modules: ["pppoe"] };

/** A credential is one word of a pppd options file, so it cannot hold a line break. */
const oneLine = z
  .string()
  .min(1)
  .regex(/^[^\r\n\0]*$/, "must be one line");

const pppoe = template(
  "pppoe",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <interface's name>.pppoe when not given."),
    interface: service.describe("The Ethernet interface (output ifname) the PPPoE server is on."),
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
    "ppp-options": z.array(z.string()).default([]).describe("Further pppd options."),
  }),
  (p) => {
    const name = p.name ?? `${p.interface.name}.pppoe`;
    const scripts = `/etc/limen/ppp/${nameSafe(name)}`;
    const options = [
      "nodetach",
      "noipdefault",
      "defaultroute",
      "usepeerdns",
      "persist",
      "maxfail",
      "0",
      // dial again 5 s after a link dies, not pppd's 30 (a modem's pause, not a router's)
      "holdoff",
      "5",
      "+ipv6",
      "ifname",
      p.ifname,
      "ip-up-script",
      `${scripts}/ip-up`,
      "ip-down-script",
      `${scripts}/ip-down`,
      ...(p.debug ? ["debug"] : []),
      ...(p.lcpEcho === null
        ? []
        : ["lcp-echo-interval", String(p.lcpEcho.interval), "lcp-echo-failure", String(p.lcpEcho.failure)]),
      ...p["ppp-options"],
    ];
    const credentials = [
      ...(p.username === null ? [] : optionLine("user", p.username)),
      ...(p.password === null ? [] : optionLine("password", p.password)),
    ];
    const optionsFile = credentials.length === 0 ? null : "credentials";
    const ready = readyWhen(name, sh`test -s ${layout("").outputsOf(name)}/address`, 250);
    return longrun({
      name,
      dependencies: [p.interface],
      outputs: ["ifname", "address", "peer-address", "dns", ...(p.bandwidth === null ? [] : ["bandwidth"])],
      kernelModules: kernel.modules,
      // ready once IPCP is up: what routes or resolves through the link starts only then. A dead
      // server gets the LCP echoes' time to answer, and a margin for the discovery.
      notificationFd: ready.notificationFd,
      timeoutUp: (10 + (p.lcpEcho === null ? 20 : p.lcpEcho.interval * p.lcpEcho.failure)) * 1000,
      files: {
        [`${scripts}/ip-up`]: { type: "file", mode: 0o755, content: ipUp(name) },
        [`${scripts}/ip-down`]: { type: "file", mode: 0o755, content: ipDown(name) },
        ...ready.files,
      },
      secrets: optionsFile === null ? {} : { [optionsFile]: { content: credentials, mode: 0o600 } },
      run: [
        sh`echo ${p.ifname} > "$OUTPUTS/ifname"`,
        ...(p.bandwidth === null ? [] : [sh`echo ${p.bandwidth} > "$OUTPUTS/bandwidth"`]),
        `${ready.exec} ` +
          sh`pppd plugin ${pppoePlugin} nic-${outputRef(p.interface, "ifname")} ${options}` +
          (optionsFile === null ? "" : sh` file ${secretPath(name, optionsFile)}`),
      ].join("\n"),
    });
  },
);

/** `name "value"` in pppd's options syntax: a literal quoted now, an outputRef when rendered. */
function optionLine(name: string, value: string | OutputRef): (string | { ref: OutputRef; as: "pppd" })[] {
  return typeof value === "string"
    ? [`${name} ${formatValue(value, "pppd")}\n`]
    : [`${name} `, { ref: value, as: "pppd" }, "\n"];
}

/** rp-pppoe's plugin in Debian bookworm's ppp, named by its full path in pppd's options. */
const pppoePlugin = "/usr/lib/pppd/2.4.9/pppoe.so";

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

function ipDown(service: string): string {
  const outputs = layout("").outputsOf(service);
  return ["#!/bin/sh", sh`rm -f ${outputs}/address ${outputs}/peer-address ${outputs}/dns`, ""].join("\n");
}

export default defineModule({
  name: "ppp",
  config: {
    // s6-notifyoncheck turns "the link has an address" into s6 readiness; output publishes it
    // pppd and its PPPoE plugin (loaded by path: no ELF dependency brings it)
    packages: [{ name: "ppp", files: ["/usr/sbin/pppd", pppoePlugin] }, notifyOnCheck],
    programs: { busybox: { applets: ["test", "rm"] } },
    kernel: { config: kernel.config },
  },
  svc: { pppoe },
});
