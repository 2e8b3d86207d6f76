// PPP over Ethernet by pppd and its rp-pppoe plugin. Username and password may be outputRefs.
import { defineModule, longrun, outputRef, replaceable, service, sh, template, z } from "../../image/config/index.ts";

const pppoe = template(
  "pppoe",
  z.strictObject({
    name: z.string().optional(),
    interface: service,
    ifname: z
      .string()
      .regex(/^ppp[0-9]+$/, "must be pppN")
      .default("ppp0"),
    username: replaceable(z.string().min(1)).nullable().default(null),
    password: replaceable(z.string().min(1)).nullable().default(null),
    debug: z.boolean().default(false),
    lcpEcho: z
      .strictObject({ interval: z.number().int().min(1), failure: z.number().int().min(1) })
      .nullable()
      .default({ interval: 10, failure: 3 }),
    "ppp-options": z.array(z.string()).default([]),
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
      run: [
        sh`echo ${p.ifname} > "$OUTPUTS/ifname"`,
        sh`exec pppd plugin pppoe.so nic-${outputRef(p.interface, "ifname")} ${options}` + auth,
      ].join("\n"),
    });
  },
);

export default defineModule({
  name: "ppp",
  config: { packages: ["ppp"], kernel: { config: { PPP: "y", PPPOE: "y", PPP_ASYNC: "y", PPP_SYNC_TTY: "y" } } },
  svc: { pppoe },
});
