// Writes a system description to a directory: system.json (everything, file contents included)
// and the file tree under root/ with its modes. Owners are recorded in system.json for the image
// builder, which creates the filesystem as root; the directory here is written as the current user.
import { mkdir, rm, symlink, writeFile, chmod } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { SystemDescription } from "./compile.ts";

export async function writeSystem(system: SystemDescription, out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  const root = join(out, "root");
  await rm(root, { recursive: true, force: true });
  for (const f of system.files) {
    const path = join(root, f.path);
    await mkdir(dirname(path), { recursive: true });
    if (f.type === "directory") {
      await mkdir(path, { recursive: true });
      await chmod(path, f.mode);
    } else if (f.type === "symlink") {
      await symlink(f.target, path);
    } else {
      await writeFile(path, f.content, { mode: f.mode });
      await chmod(path, f.mode);
    }
  }
  await writeFile(join(out, "system.json"), JSON.stringify(system, null, 1) + "\n");
}
