// What configurations, devices and modules import: the whole configuration language.
import { z } from "zod";
import { Service } from "./service.ts";

export { z };
export { defineConfig, defineDevice, defineModule, keyDiskSerial } from "./module.ts";
export {
  bundle,
  insecureOutputs,
  longrun,
  oneshot,
  outputPath,
  outputRef,
  port,
  replaceable,
  Service,
  serviceName,
  serviceRef,
  template,
  OutputRef,
} from "./service.ts";
export type { ServiceRef } from "./service.ts";
export { sh, shellQuote } from "./shell.ts";
export { secretPath, secretText } from "./secrets.ts";
export { absolutePath } from "./files.ts";
export { hostName } from "./hosts.ts";
export { sshPublicKey } from "./ssh-key.ts";
export { notifyOnCheck, readyWhen } from "./ready.ts";

/** A template parameter that must be a service itself (not a lazy reference): its outputs are read. */
export const service = z.instanceof(Service, { message: "expected a service" }).meta({ type: "service" });

/** A service that is a network interface: it writes the interface's name to its output "ifname". */
export const interfaceService = service.superRefine((s, ctx) => {
  const spec = s.realize(["interface", s.origin]);
  if (!spec.outputs.includes("ifname") && !spec.dynamicOutputs)
    ctx.addIssue({ code: "custom", message: `${spec.name} declares no output ifname: it must be an interface` });
});

/** Characters a derived service name may not hold become "_". */
export function nameSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.@-]/g, "_");
}

/** A daemon's own user and group (same number), as a module contributes them. */
export function serviceAccount(name: string, id: number, gecos: string, dir: string) {
  return {
    users: { [name]: { uid: id, gid: id, gecos, dir, shell: "/bin/false" } },
    groups: { [name]: { gid: id, usernames: [name] } },
  };
}
