// PPP over L2TP (L2TPv2, RFC 2661) to an ISP's LNS, over an upstream link that is up first (a DHCP
// lease or a static address on the WAN port): xl2tpd, as the LAC, sets up the tunnel and the call
// and starts pppd on the kernel's PPPoL2TP socket (l2tp_ppp), which carries the frames from then
// on. The session is a PPP WAN as PPPoE's is (session.ts): the same parameters, outputs,
// readiness and credentials. The LNS may be an outputRef (the lease's router, say), so xl2tpd's
// configuration is rendered when the service starts, as a secret file. A session that was up and
// ends ends xl2tpd too, and s6 starts it again: a new tunnel at once, where xl2tpd would first
// spend a minute retrying its goodbyes on a tunnel whose LNS may be gone. One that never comes up
// (refused, say) xl2tpd calls again on the same tunnel.
import { defineModule, hostName, replaceable, secretPath, service, sh, template, z } from "../../image/config/index.ts";
import ppp from "./index.ts";
import { optionsFileText, scriptsOf, sessionOptions, sessionParams, sessionService } from "./session.ts";

/** L2TP with PPP on it: Kconfig symbols for a kernel built from source, modules where it builds them so. */
const kernel = { config: { L2TP: "y", PPPOL2TP: "y" }, modules: ["l2tp_core", "l2tp_ppp"] };

/** The PPPoL2TP plugin xl2tpd names pppd (by file name, in pppd's plugin folder). */
const pppol2tpPlugin = "/usr/lib/pppd/2.4.9/pppol2tp.so";

const l2tp = template(
  "l2tp",
  z.strictObject({
    name: z.string().default("l2tp").describe("Name of the service."),
    upstream: service.describe(
      "The service bringing up the link the tunnel runs over (a DHCP client, an address on the WAN port): up first.",
    ),
    lns: replaceable(hostName).describe(
      "The L2TP network server, an IPv4 address or a host name; may be an outputRef (a DHCP lease's router, say).",
    ),
    ...sessionParams,
  }),
  (p) => {
    const scripts = scriptsOf(p.name);
    const optionsFile = `${scripts}/options`;
    // xl2tpd starts pppd with the plugin and its socket, "passive" and "nodetach" (it dials
    // again itself), then these; pppd has no stdout there: its log goes to the service's on stderr
    const options = [...sessionOptions(p.name, p), ["logfd", "2"]];
    const conf = [
      "[global]\n",
      "[lac upstream]\n",
      "lns = ",
      ...(typeof p.lns === "string" ? [p.lns] : [{ ref: p.lns, as: "line" as const }]),
      "\n",
      `pppoptfile = ${optionsFile}\n`,
      "autodial = yes\n",
      "redial = yes\n",
      "redial timeout = 5\n",
    ];
    const run = "/run/xl2tpd";
    const pidFile = `${run}/${p.name}.pid`;
    return sessionService(p.name, p, {
      dependencies: [p.upstream],
      kernelModules: kernel.modules,
      // the tunnel's and the call's set-up: a few exchanges, each retried
      setupSeconds: 20,
      files: { [optionsFile]: { type: "file", content: optionsFileText(options) } },
      secrets: { "xl2tpd.conf": { content: conf, mode: 0o600 } },
      prepare: [sh`mkdir -p ${run}`],
      // pppd runs ip-down as a session that was up ends: xl2tpd, its parent, goes with it
      down: [sh`kill "$(cat ${pidFile})" 2>/dev/null || true`],
      run: (ready) =>
        `${ready} ` +
        sh`xl2tpd -D -c ${secretPath(p.name, "xl2tpd.conf")} -p ${pidFile} -C ${`${run}/${p.name}.control`}`,
    });
  },
);

export default defineModule({
  name: "l2tp",
  imports: [ppp],
  config: {
    packages: [
      { name: "xl2tpd", files: ["/usr/sbin/xl2tpd"] },
      { name: "ppp", files: [pppol2tpPlugin] },
    ],
    programs: { busybox: { applets: ["mkdir", "cat", "kill"] } },
    kernel: { config: kernel.config },
  },
  svc: { l2tp },
});
