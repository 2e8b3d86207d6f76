// The root filesystem of a compiled system: its file tree, the Debian programs it asks for,
// busybox with the applets it needs, and the limen runtime with its command links.
import type { SystemDescription } from "../config/compile.ts";
import { PackageCollector, type Lock, type ShippedFile } from "../packages/collect.ts";
import type { TreeEntry } from "./tree.ts";

/**
 * Applets every system gets: the shell, and what boot, shutdown, the service scripts and a person
 * at the console cannot do without. Those for administration come with programs.busybox.adminApplets.
 */
const essentialApplets = [
  "sh",
  "ash",
  "cat",
  "chmod",
  "chown",
  "cut",
  "echo",
  "env",
  "false",
  "halt",
  "head",
  "hostname",
  "id",
  "ln",
  "ls",
  "mkdir",
  "mount",
  "poweroff",
  "printf",
  "reboot",
  "rm",
  "sleep",
  "sort",
  "tail",
  "test",
  "tr",
  "true",
  "umount",
  "uname",
  "wc",
];

/** Names the runtime answers to (runtime/src/main.ts dispatches on argv[0]). */
const limenLinks = {
  "/bin/svc": "limen",
  "/bin/output": "limen",
  "/bin/logread": "limen",
  "/sbin/init": "../bin/limen",
};

/** Mount points and the directories every system has. */
const skeleton = ["/proc", "/sys", "/dev", "/run", "/tmp", "/root", "/var"];

function fromPackages(files: ShippedFile[]): TreeEntry[] {
  return files.map((f): TreeEntry =>
    f.link !== undefined
      ? { type: "symlink", path: f.path, target: f.link, uid: 0, gid: 0, package: f.package }
      : {
          type: "file",
          path: f.path,
          mode: 0o755,
          uid: 0,
          gid: 0,
          content: { hostPath: f.source! },
          package: f.package,
        },
  );
}

/** The system's own files (accounts, services, the configuration's filesystem) as tree entries. */
export function configurationEntries(system: SystemDescription): TreeEntry[] {
  return system.files.map((f): TreeEntry => {
    switch (f.type) {
      case "file":
        return { type: "file", path: f.path, mode: f.mode, uid: f.uid, gid: f.gid, content: Buffer.from(f.content) };
      case "directory":
        return { type: "dir", path: f.path, mode: f.mode, uid: f.uid, gid: f.gid };
      case "symlink":
        return { type: "symlink", path: f.path, target: f.target, uid: 0, gid: 0 };
    }
  });
}

export interface RootTree {
  entries: TreeEntry[];
  lock: Lock;
}

export async function rootTree(
  system: SystemDescription,
  runtime: string,
  lock: Lock,
  lockFile?: string,
): Promise<RootTree> {
  const collector = new PackageCollector(system.device.debianArch, lock, lockFile);
  const packaged = await collector.collect([{ package: "busybox", files: ["/bin/busybox"] }, ...system.packages]);
  // a program from a package, or a name of the runtime's (logread), wins over the busybox applet
  const taken = new Set([...packaged.map((f) => f.path), ...Object.keys(limenLinks)]);
  const applets = [...new Set([...essentialApplets, ...system.busybox.applets])].sort();
  const entries: TreeEntry[] = [
    ...skeleton.map((path): TreeEntry => ({
      type: "dir",
      path,
      mode: path === "/tmp" ? 0o1777 : path === "/root" ? 0o700 : 0o755,
      uid: 0,
      gid: 0,
    })),
    ...fromPackages(packaged),
    ...applets
      .filter((a) => !taken.has(`/bin/${a}`) && !taken.has(`/usr/bin/${a}`) && !taken.has(`/sbin/${a}`))
      .map((a): TreeEntry => ({
        type: "symlink",
        path: `/bin/${a}`,
        target: "busybox",
        uid: 0,
        gid: 0,
        package: "busybox",
      })),
    // daemons keep pid files in /var/run: it is the tmpfs /run
    { type: "symlink", path: "/var/run", target: "../run", uid: 0, gid: 0 },
    { type: "file", path: "/bin/limen", mode: 0o755, uid: 0, gid: 0, content: { hostPath: runtime }, package: "limen" },
    ...Object.entries(limenLinks).map(([path, target]): TreeEntry => ({
      type: "symlink",
      path,
      target,
      uid: 0,
      gid: 0,
      package: "limen",
    })),
    ...configurationEntries(system),
  ];
  return { entries, lock: collector.lock };
}
