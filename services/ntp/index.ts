// Network time with chrony: a client of pools, servers and peers, optionally serving time to the
// subnets in `allow`. The template writes chrony's configuration file; chronyd runs in the foreground.
import { defineModule, serviceAccount, longrun, sh, template, z } from "../../image/config/index.ts";

const word = z.string().regex(/^[^\s#]+$/, "must be one word (no spaces or #)");
const sources = z.record(word, z.array(word)).default({});

const ntp = template(
  "ntp",
  z.strictObject({
    name: z.string().default("ntp"),
    user: z.string().default("ntp"),
    pools: sources,
    servers: sources,
    peers: sources,
    makestep: z.strictObject({ threshold: z.number().positive(), limit: z.number().int() }).nullable().default(null),
    allow: z.array(word).default([]),
    bindaddress: word.nullable().default(null),
    binddevice: word.nullable().default(null),
    dumpdir: z.string().default("/run/chrony"),
    extraConfig: z.string().default(""),
  }),
  (p) => {
    const lines = [
      ...Object.entries(p.pools).map(([host, opts]) => ["pool", host, ...opts].join(" ")),
      ...Object.entries(p.servers).map(([host, opts]) => ["server", host, ...opts].join(" ")),
      ...Object.entries(p.peers).map(([host, opts]) => ["peer", host, ...opts].join(" ")),
      ...(p.makestep === null ? [] : [`makestep ${p.makestep.threshold} ${p.makestep.limit}`]),
      ...p.allow.map((a) => `allow ${a}`),
      ...(p.bindaddress === null ? [] : [`bindaddress ${p.bindaddress}`]),
      ...(p.binddevice === null ? [] : [`binddevice ${p.binddevice}`]),
      `dumpdir ${p.dumpdir}`,
      ...(p.extraConfig === "" ? [] : [p.extraConfig]),
    ];
    const conf = `/etc/limen/chrony/${p.name}.conf`;
    return longrun({
      name: p.name,
      files: { [conf]: { type: "file", content: lines.join("\n") + "\n" } },
      run: [sh`mkdir -p ${p.dumpdir}`, sh`exec chronyd -d -f ${conf} -u ${p.user}`].join("\n"),
    });
  },
);

export default defineModule({
  name: "ntp",
  config: {
    packages: ["chrony"],
    ...serviceAccount("ntp", 52, "NTP service user", "/run/chrony"),
  },
  svc: { ntp },
});
