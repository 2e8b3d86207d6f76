// The folder `npm run image` writes its result into (--out): made beside it and renamed into
// place only when complete, so an error never leaves a half-made result, and only ever replacing
// an earlier result. Its files hold the root filesystem, /etc/shadow's hashes and any literal
// secret among them, so the folder and its files are the builder's alone.
import { existsSync, readdirSync, statSync } from "node:fs";
import { chmod, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/** The file every result holds: only a folder holding it is deleted to make room for a new result. */
export const resultMarker = ".limen-result";

/** Refuses an `--out` that exists and is not a previous result (a folder holding the marker) or empty. */
export function replaceable(dir: string): void {
  const out = resolve(dir);
  const empty = existsSync(out) && statSync(out).isDirectory() && readdirSync(out).length === 0;
  if (existsSync(out) && !empty && !existsSync(join(out, resultMarker)))
    throw new Error(
      `--out ${dir}: exists and is not a result of npm run image (it has no ${resultMarker}): name another folder, or remove it yourself`,
    );
}

/**
 * The result's own files 0600, its executables (run.sh) 0700; a folder in it (systemConfiguration's
 * root tree) keeps its modes, which are the device's, behind the result folder's 0700.
 */
async function builderOnly(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const s = await stat(join(dir, name));
    if (s.isFile()) await chmod(join(dir, name), s.mode & 0o100 ? 0o700 : 0o600);
  }
}

/** Fills a folder (0700) beside `dir`, then puts it in dir's place: an error leaves the old result, or none. */
export async function replaceResult(dir: string, fill: (tmp: string) => Promise<void>): Promise<string> {
  const out = resolve(dir);
  const tmp = `${out}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(dirname(tmp), { recursive: true });
  await mkdir(tmp, { mode: 0o700 });
  try {
    await fill(tmp);
    await writeFile(join(tmp, resultMarker), "made by npm run image: deleted by the next build into this folder\n");
    await builderOnly(tmp);
    // checked again: the folder may have appeared while this result was made
    replaceable(dir);
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return out;
}
