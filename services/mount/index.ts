// A file system on a removable disk, found by its GPT partition label: mounted while the disk is
// there (the manual's "inout" case: a USB stick appearing mounts /srv). The template returns the
// controlled mount service, so that what needs the file system depends on it and starts with it;
// the mount service needs its uevent-rule controller (`limen uevent-rule`), which is what boot starts.
import { defineModule, nameSafe, oneshot, sh, template, z } from "../../image/config/index.ts";
import { ruleController } from "../uevent-rule/index.ts";

const word = z.string().regex(/^[^\s,]+$/, "must be one word without commas");

const mount = template(
  "mount",
  z.strictObject({
    name: z.string().optional().describe("Name of the mount service; mount.<mountpoint's parts> when not given."),
    partlabel: z
      .string()
      .regex(/^[A-Za-z0-9_.@+-]{1,36}$/, "must be a GPT partition name of letters, digits and _ . @ + - (at most 36)")
      .describe("GPT partition name of the file system to mount when it appears."),
    mountpoint: z
      .string()
      .regex(/^\/[^\s]*$/, "must be an absolute path without spaces")
      .refine((m) => m !== "/", "must not be /")
      .describe("Where to mount it (made when missing)."),
    fstype: z
      .string()
      .regex(/^[a-z0-9_.]+$/, "must be a file system type")
      .default("auto")
      .describe('File system type; "auto" lets mount try the kernel\'s file systems in turn.'),
    options: z.array(word).default([]).describe("Mount options (mount -o), e.g. noatime, ro."),
  }),
  (p) => {
    const name = p.name ?? nameSafe(`mount${p.mountpoint.replaceAll("/", ".")}`);
    const device = `/dev/disk/by-partlabel/${p.partlabel}`;
    const type = p.fstype === "auto" ? "" : sh` -t ${p.fstype}`;
    const options = p.options.length === 0 ? "" : sh` -o ${p.options.join(",")}`;
    // (the controller comes into the system as the mount's dependency: it needs no `controls`)
    const controller = ruleController({
      name: `${name}.uevent`,
      service: name,
      terms: { SUBSYSTEM: "block", DEVTYPE: "partition", PARTNAME: p.partlabel },
      attributes: {},
      symlink: device,
      controls: [],
    });
    return oneshot({
      name,
      controlled: true,
      dependencies: [controller],
      up: [sh`mkdir -p ${p.mountpoint}`, `mount${type}${options} ${sh`${device} ${p.mountpoint}`}`].join("\n"),
      // lazily: a stick pulled out leaves open files behind, the mount point must come free anyway
      down: sh`umount -l ${p.mountpoint}`,
    });
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
