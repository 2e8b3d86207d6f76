// A file system on a removable disk, found by its GPT partition label: mounted while the disk is
// there (the manual's "inout" case: a USB stick appearing mounts /srv). The template returns the
// controlled mount service, so that what needs the file system depends on it and starts with it;
// the mount service needs its uevent-rule controller (`limen uevent-rule`), which is what boot starts.
import { defineModule, nameSafe, oneshot, sh, template, z, type Service } from "../../image/config/index.ts";
import { ruleController } from "../uevent-rule/index.ts";

const word = z.string().regex(/^[^\s,]+$/, "must be one word without commas");

const mount = template(
  "mount",
  z.strictObject({
    name: z.string().optional(),
    partlabel: z
      .string()
      .regex(/^[A-Za-z0-9_.@+-]{1,36}$/, "must be a GPT partition name of letters, digits and _ . @ + - (at most 36)"),
    mountpoint: z
      .string()
      .regex(/^\/[^\s]*$/, "must be an absolute path without spaces")
      .refine((m) => m !== "/", "must not be /"),
    /** "auto" lets mount try the kernel's file systems in turn. */
    fstype: z
      .string()
      .regex(/^[a-z0-9_.]+$/, "must be a file system type")
      .default("auto"),
    options: z.array(word).default([]),
  }),
  (p) => {
    const name = p.name ?? nameSafe(`mount${p.mountpoint.replaceAll("/", ".")}`);
    const device = `/dev/disk/by-partlabel/${p.partlabel}`;
    const type = p.fstype === "auto" ? "" : sh` -t ${p.fstype}`;
    const options = p.options.length === 0 ? "" : sh` -o ${p.options.join(",")}`;
    const mounted = oneshot({
      name,
      controlled: true,
      dependencies: [() => controller],
      up: [sh`mkdir -p ${p.mountpoint}`, `mount${type}${options} ${sh`${device} ${p.mountpoint}`}`].join("\n"),
      // lazily: a stick pulled out leaves open files behind, the mount point must come free anyway
      down: sh`umount -l ${p.mountpoint}`,
    });
    // (the controller comes into the system as the mount's dependency: it needs no `controls`)
    const controller: Service = ruleController({
      name: `${name}.uevent`,
      service: name,
      terms: { SUBSYSTEM: "block", DEVTYPE: "partition", PARTNAME: p.partlabel },
      attributes: {},
      symlink: device,
      controls: [],
    });
    return mounted;
  },
);

export default defineModule({
  name: "mount",
  config: {
    programs: { busybox: { applets: ["mount", "umount", "mkdir"] } },
    // partition names come from GPT partition tables
    kernel: { config: { BLOCK: "y", PARTITION_ADVANCED: "y", EFI_PARTITION: "y" } },
  },
  svc: { mount },
});
