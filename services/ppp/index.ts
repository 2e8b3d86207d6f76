// PPP over Ethernet by pppd and its rp-pppoe plugin. Username and password may be outputRefs.
// What every PPP WAN shares (outputs, readiness, credentials as a secret file, never on a command
// line) is session.ts's; L2TP is l2tp.ts's module, which imports this one for pppd.
import { defineModule, notifyOnCheck, outputRef, service, sh, template, z } from "../../image/config/index.ts";
import { sessionOptions, sessionParams, sessionService } from "./session.ts";

/** PPP and PPPoE: Kconfig symbols for a kernel built from source, modules where it builds them so. */
const kernel = { config: { PPP: "y", PPPOE: "y", PPP_ASYNC: "y", PPP_SYNC_TTY: "y" }, modules: ["pppoe"] };

const pppoe = template(
  "pppoe",
  z.strictObject({
    name: z.string().optional().describe("Name of the service; <interface's name>.pppoe when not given."),
    interface: service.describe("The Ethernet interface (output ifname) the PPPoE server is on."),
    ...sessionParams,
  }),
  (p) => {
    const name = p.name ?? `${p.interface.name}.pppoe`;
    const options = [
      // pppd stays in the foreground for s6 and dials again itself, 5 s after a link dies, not
      // pppd's 30 (a modem's pause, not a router's)
      ["nodetach"],
      ["persist"],
      ["maxfail", "0"],
      ["holdoff", "5"],
      ...sessionOptions(name, p),
    ].flat();
    return sessionService(name, p, {
      dependencies: [p.interface],
      kernelModules: kernel.modules,
      // PADI/PADO discovery
      setupSeconds: 10,
      run: (ready) => `${ready} ` + sh`pppd plugin ${pppoePlugin} nic-${outputRef(p.interface, "ifname")} ${options}`,
    });
  },
);

/** rp-pppoe's plugin in Debian bookworm's ppp, named by its full path in pppd's options. */
const pppoePlugin = "/usr/lib/pppd/2.4.9/pppoe.so";

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
