// Network time with chrony: a client of pools, servers and peers, optionally serving time to the
// subnets in `allow`. The template writes chrony's configuration file; chronyd runs in the foreground.
import {
  absolutePath,
  defineModule,
  notifyOnCheck,
  readyWhen,
  serviceAccount,
  longrun,
  sh,
  template,
  z,
} from "../../image/config/index.ts";

const word = z.string().regex(/^[^\s#\p{Cc}]+$/u, "must be one word (no spaces, # or control characters)");
const sources = z.record(word, z.array(word)).default({});
const sourcesOf = (kind: string) => sources.describe(`chrony ${kind} by host name, each with its options (iburst, …).`);

const ntp = template(
  "ntp",
  z.strictObject({
    name: z.string().default("ntp").describe("Name of the service."),
    user: z.string().default("ntp").describe("User chronyd runs as once started."),
    pools: sourcesOf("pools"),
    servers: sourcesOf("servers"),
    peers: sourcesOf("peers"),
    makestep: z
      .strictObject({
        threshold: z.number().positive().describe("Seconds of offset above which the clock is stepped."),
        limit: z.number().int().describe("Updates during which it may step (-1: always)."),
      })
      .nullable()
      .default(null)
      .describe("Step the clock instead of slewing it when far off (chrony makestep)."),
    allow: z.array(word).default([]).describe("Subnets served time (chrony allow)."),
    bindaddress: word.nullable().default(null).describe("Address to serve time on (chrony bindaddress)."),
    binddevice: word.nullable().default(null).describe("Interface to serve time on (chrony binddevice)."),
    dumpdir: absolutePath.default("/run/chrony").describe("Folder for chrony's measurement history."),
    extraConfig: z.string().default("").describe("Further lines of chrony.conf."),
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
    // chronyc asks chronyd over its loopback command port whether it is synchronised
    const ready = readyWhen(p.name, "exec chronyc -h 127.0.0.1 -n waitsync 1 >/dev/null", 1000);
    return longrun({
      name: p.name,
      // ready once synchronised (what needs the right time waits for it), however long the
      // upstream takes to appear
      notificationFd: ready.notificationFd,
      timeoutUp: 0,
      files: { [conf]: { type: "file", content: lines.join("\n") + "\n" }, ...ready.files },
      run: [
        // chronyd keeps its command socket here only when no one else may enter it
        sh`mkdir -p ${p.dumpdir}`,
        sh`chown ${p.user}:${p.user} ${p.dumpdir}`,
        sh`chmod 0750 ${p.dumpdir}`,
        `${ready.exec} ` + sh`chronyd -d -f ${conf} -u ${p.user}`,
      ].join("\n"),
    });
  },
);

export default defineModule({
  name: "ntp",
  config: {
    packages: ["chrony", notifyOnCheck],
    programs: { busybox: { applets: ["chown", "chmod"] } },
    ...serviceAccount("ntp", 52, "NTP service user", "/run/chrony"),
  },
  svc: { ntp },
});
