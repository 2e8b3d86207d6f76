// PPP over Ethernet by pppd and its rp-pppoe plugin. Username and password may be outputRefs.
import { defineModule, longrun, outputRef, replaceable, service, sh, template, z } from "../../image/config/index.ts";

/** PPP and PPPoE: Kconfig symbols for a kernel built from source, modules where it builds them so. */
const kernel = { config: { PPP: "y", PPPOE: "y", PPP_ASYNC: "y", PPP_SYNC_TTY: "y" }, modules: ["pppoe"] };

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
    username: replaceable(z.string().min(1)).nullable().default(null).describe("PPP user name; may be an outputRef."),
    password: replaceable(z.string().min(1)).nullable().default(null).describe("PPP password; may be an outputRef."),
    debug: z.boolean().default(false).describe("Log pppd's negotiation."),
    lcpEcho: z
      .strictObject({
        interval: z.number().int().min(1).describe("Seconds between LCP echo requests."),
        failure: z.number().int().min(1).describe("Unanswered requests after which the link is down."),
      })
      .nullable()
      .default({ interval: 10, failure: 3 })
      .describe("LCP echoes that notice a dead link; null sends none."),
    "ppp-options": z.array(z.string()).default([]).describe("Further pppd options."),
  }),
  (p) => {
    const options = [
      "nodetach",
      "noipdefault",
      "defaultroute",
      "persist",
      "maxfail",
      "0",
      "+ipv6",
      "ifname",
      p.ifname,
      ...(p.debug ? ["debug"] : []),
      ...(p.lcpEcho === null
        ? []
        : ["lcp-echo-interval", String(p.lcpEcho.interval), "lcp-echo-failure", String(p.lcpEcho.failure)]),
      ...p["ppp-options"],
    ];
    const auth = [
      ...(p.username === null ? [] : [sh` user ${p.username}`]),
      ...(p.password === null ? [] : [sh` password ${p.password}`]),
    ].join("");
    return longrun({
      name: p.name ?? `${p.interface.name}.pppoe`,
      dependencies: [p.interface],
      outputs: ["ifname"],
      kernelModules: kernel.modules,
      run: [
        sh`echo ${p.ifname} > "$OUTPUTS/ifname"`,
        sh`exec pppd plugin pppoe.so nic-${outputRef(p.interface, "ifname")} ${options}` + auth,
      ].join("\n"),
    });
  },
);

export default defineModule({
  name: "ppp",
  config: { packages: ["ppp"], kernel: { config: kernel.config } },
  svc: { pppoe },
});
