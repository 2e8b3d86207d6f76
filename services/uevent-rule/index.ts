// A controller that keeps a controlled service up while a matching device is present: the
// runtime's `uevent-rule` listens to the kernel's uevents (after a coldplug pass over sysfs).
// Terms are uevent keys (subsystem, devtype, partname, interface, …), attributes are files under
// the device's sysfs directory; the controller publishes the device as outputs devpath, devname.
import { defineModule, longrun, service, sh, template, z, type Service } from "../../image/config/index.ts";

/** A service a controller starts and stops: it must stay out of the boot set. */
export const controlledService = service.refine(
  (s: Service) => s.realize(["controlled service", s.origin]).controlled,
  {
    message: "must be a controlled service (built with controlled: true), or it would also start at boot",
  },
);

const key = z.string().regex(/^[A-Za-z0-9_]+$/, "must be a uevent key (letters, digits, _)");
const attribute = z
  .string()
  .regex(/^[A-Za-z0-9_:.-]+(\/[A-Za-z0-9_:.-]+)*$/, "must be a path of names under the device's sysfs directory")
  .refine((a) => !a.split("/").some((p) => p.startsWith(".")), "must not have parts starting with a dot");
const value = z.string().regex(/^[^\n\0]*$/, "must be one line");

/** The controller's longrun: checked parameters in, `limen uevent-rule` arguments out. */
export function ruleController(p: {
  name: string;
  /** Name of the controlled service. */
  service: string;
  terms: Record<string, string>;
  attributes: Record<string, string>;
  symlink: string | null;
  controls: Service[];
}): Service {
  const args = [
    ...(p.symlink === null ? [] : ["--symlink", p.symlink]),
    ...Object.entries(p.attributes).flatMap(([k, v]) => ["--attr", `${k}=${v}`]),
    p.service,
    ...Object.entries(p.terms).map(([k, v]) => `${k}=${v}`),
  ];
  return longrun({
    name: p.name,
    controls: p.controls,
    outputs: ["devpath", "devname"],
    run: sh`exec limen uevent-rule ${args}`,
  });
}

const ueventRule = template(
  "uevent-rule",
  z
    .strictObject({
      name: z.string().optional().describe("Name of the controller; <service's name>.uevent when not given."),
      service: controlledService.describe("The controlled service to run while a matching device is present."),
      terms: z
        .record(key, value)
        .default({})
        .describe("uevent keys and the values they must have (SUBSYSTEM, DEVTYPE, PARTNAME, INTERFACE, …)."),
      attributes: z
        .record(attribute, value)
        .default({})
        .describe("Files under the device's sysfs directory and the values they must hold."),
      symlink: z
        .string()
        .regex(/^\/[^\s]*$/, "must be an absolute path without spaces")
        .nullable()
        .default(null)
        .describe("A symlink to /dev/DEVNAME of the matching device while it is present."),
    })
    .refine(
      (p) => Object.keys(p.terms).length + Object.keys(p.attributes).length > 0,
      "needs terms or attributes: without them it would match every device",
    ),
  (p) =>
    ruleController({
      ...p,
      name: p.name ?? `${p.service.name}.uevent`,
      service: p.service.name,
      controls: [p.service],
    }),
);

export default defineModule({ name: "uevent-rule", svc: { "uevent-rule": ueventRule } });
