// Squashfs root filesystems with mksquashfs: the tree is staged in a folder (contents only), and
// owners, modes and device nodes come from a pseudo-definition file, so no root is needed.
// Every timestamp is zero: the same tree gives the same image.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../lib/run.ts";
import { cachedDir, hashOf } from "../lib/cache.ts";
import { normalizeTree, treeKey, type TreeEntry } from "./tree.ts";

export interface SquashfsOptions {
  compression: "xz" | "gzip";
  blockSize: number;
}

/** Writes the image to `output`, reusing an identical earlier one from the cache. */
export async function squashfs(
  entries: TreeEntry[],
  output: string,
  options: SquashfsOptions = { compression: "xz", blockSize: 262144 },
): Promise<void> {
  const dir = await cachedDir("squashfs", hashOf(treeKey(entries), JSON.stringify(options)), (d) =>
    makeSquashfs(entries, join(d, "image"), options),
  );
  await copyFile(join(dir, "image"), output);
}

async function makeSquashfs(entries: TreeEntry[], output: string, options: SquashfsOptions): Promise<void> {
  const staging = await mkdtemp(join(tmpdir(), "limen-squashfs-"));
  try {
    const pseudo: string[] = [];
    for (const e of normalizeTree(entries)) {
      if (/\s/.test(e.path))
        throw new Error(
          `root filesystem: "${e.path}" holds white space, which squashfs pseudo definitions cannot name`,
        );
      const host = join(staging, e.path);
      const rel = e.path.slice(1);
      switch (e.type) {
        case "dir":
          await mkdir(host, { recursive: true });
          pseudo.push(`${rel} m ${e.mode.toString(8)} ${e.uid} ${e.gid}`);
          break;
        case "file":
          if (Buffer.isBuffer(e.content)) await writeFile(host, e.content);
          else await copyFile(e.content.hostPath, host);
          pseudo.push(`${rel} m ${e.mode.toString(8)} ${e.uid} ${e.gid}`);
          break;
        case "symlink":
          pseudo.push(`${rel} s 777 ${e.uid} ${e.gid} ${e.target}`);
          break;
        case "char":
        case "block":
          pseudo.push(
            `${rel} ${e.type === "char" ? "c" : "b"} ${e.mode.toString(8)} ${e.uid} ${e.gid} ${e.major} ${e.minor}`,
          );
          break;
      }
    }
    const pseudoFile = join(staging, "..", `${staging.split("/").pop()}.pseudo`);
    await writeFile(pseudoFile, pseudo.join("\n") + "\n");
    try {
      await rm(output, { force: true });
      await run([
        "mksquashfs",
        staging,
        output,
        "-noappend",
        "-quiet",
        "-no-progress",
        "-no-xattrs",
        "-comp",
        options.compression,
        "-b",
        String(options.blockSize),
        "-all-time",
        "0",
        "-mkfs-time",
        "0",
        "-root-mode",
        "755",
        "-pf",
        pseudoFile,
      ]);
    } finally {
      await rm(pseudoFile, { force: true });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
