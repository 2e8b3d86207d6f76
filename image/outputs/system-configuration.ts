// The systemConfiguration output (manual: "Rebuilding the system"): the root tree as a folder,
// `root/`, for copying onto a running router or into a filesystem made by other means, and
// `owners`, each entry's path, type, mode, owner and group (a device node's numbers after them,
// as the folder cannot hold one). The folder's entries have those owners when the builder is root.
import { chmod, lchown, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SystemDescription } from "../config/compile.ts";
import { stageTree } from "../rootfs/stage.ts";
import type { TreeEntry } from "../rootfs/tree.ts";

export async function systemConfiguration(
  _system: SystemDescription,
  entries: TreeEntry[],
  out: string,
  progress: (step: string) => void = () => {},
): Promise<void> {
  progress("systemConfiguration: writing the root tree");
  const root = join(out, "root");
  const rows = await stageTree(entries, root);
  if (process.getuid?.() === 0) {
    for (const r of rows.filter((r) => r.type !== "c" && r.type !== "b")) {
      const path = join(root, r.path);
      await lchown(path, r.uid, r.gid);
      // chown clears the set-user-ID and set-group-ID bits: the mode goes back on after it
      if (r.type !== "l") await chmod(path, r.mode & 0o7777);
    }
  }
  await writeFile(
    join(out, "owners"),
    rows.map((r) => [r.path, r.type, r.mode.toString(8), r.uid, r.gid, ...(r.device ?? [])].join(" ")).join("\n") +
      "\n",
  );
}
