// SSH service using Dropbear. Host keys are made on first start in /run/dropbear (the root
// filesystem may be read-only), which /etc/dropbear points to.
import { defineModule, longrun, port, sh, template, z } from "../../image/config/index.ts";

const ssh = template(
  "ssh",
  z.strictObject({
    name: z.string().default("sshd"),
    address: z.string().nullable().default(null),
    port: port.default(22),
    allowRoot: z.boolean().default(true),
    allowPasswordLogin: z.boolean().default(true),
    allowPasswordLoginForRoot: z.boolean().default(true),
    allowLocalPortForward: z.boolean().default(false),
    allowRemotePortForward: z.boolean().default(false),
    allowRemoteConnectionToForwardedPorts: z.boolean().default(false),
    extraArgs: z.array(z.string()).default([]),
  }),
  (p) => {
    const flags = [
      ...(p.allowRoot ? [] : ["-w"]),
      ...(p.allowPasswordLogin ? [] : ["-s"]),
      ...(p.allowPasswordLoginForRoot ? [] : ["-g"]),
      ...(p.allowLocalPortForward ? [] : ["-j"]),
      ...(p.allowRemotePortForward ? [] : ["-k"]),
      ...(p.allowRemoteConnectionToForwardedPorts ? ["-a"] : []),
    ];
    const listen = p.address === null ? String(p.port) : `${p.address.includes(":") ? `[${p.address}]` : p.address}:${p.port}`;
    return longrun({
      name: p.name,
      run: ["mkdir -p /run/dropbear", sh`exec dropbear -F -E -R -p ${listen} ${[...flags, ...p.extraArgs]}`].join("\n"),
    });
  },
);

export default defineModule({
  name: "ssh",
  config: {
    packages: ["dropbear-bin"],
    filesystem: { "/etc/dropbear": { type: "symlink", target: "/run/dropbear" } },
  },
  svc: { ssh },
});
