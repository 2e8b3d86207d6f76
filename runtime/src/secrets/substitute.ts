// Renders a service's secret files at its start: each template's holes are filled from the
// outputs of the services named, and the file is written atomically, owned by the service's user
// with no access for others, under /run/secrets/<service>/. All files are rendered before any is
// written, so a missing output leaves the previous files in place. Errors name the file and the
// output, never a value. A value its file's format cannot hold (a line break in a line-oriented
// file) is refused: the reason is kept for `svc status` and the service's finish script makes
// the refusal final, so it stays down instead of starting again every second.
import * as os from "qjs:os";
import { readBytes, mkdirs, removeTree, writeAtomic } from "../lib/fs";
import { decode } from "../lib/utf8";
import { readOutput } from "../svc/outputs";
import { paths } from "../svc/paths";
import { chmod, chown } from "limen:native";
import { checkSecretsSpec, formatValue, Refused, type SecretsSpec } from "./template";

/** A refused value: `secrets render` exits with its own status for it. */
export class RenderRefused extends Error {}

export function loadSecretsSpec(service: string): SecretsSpec {
  const path = paths.secretSpecOf(service);
  const bytes = readBytes(path);
  if (bytes === null) throw new Error(`${path} is missing: service ${service} has no secret files`);
  let raw: unknown;
  try {
    raw = JSON.parse(decode(bytes));
  } catch (e) {
    throw new Error(`${path}: not JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  return checkSecretsSpec(raw, path);
}

/** Writes the secret files of `service`; returns the paths written. */
export function substitute(service: string): string[] {
  const spec = loadSecretsSpec(service);
  const dir = paths.secretsOf(service);
  const rendered = Object.entries(spec.files).map(([name, f]) => {
    const text = f.parts
      .map((part) => {
        if (typeof part === "string") return part;
        const value = readOutput(part.service, part.path);
        if (value === null) throw new Error(`${dir}/${name}: ${part.service} has no output ${part.path} (yet)`);
        try {
          return formatValue(value, part.as);
        } catch (e) {
          if (!(e instanceof Refused)) throw e;
          const reason = `${dir}/${name}: output ${part.path} of ${part.service} ${e.message}: refused`;
          mkdirs(paths.refused);
          writeAtomic(paths.refusedOf(service), `${reason}\n`);
          throw new RenderRefused(reason);
        }
      })
      .join("");
    return { path: `${dir}/${name}`, text, f };
  });
  os.remove(paths.refusedOf(service));
  // The folder is its files' owner's alone when they have one; else others may pass through it
  // (not list it) to the files their own modes and owners let them read.
  const owners = new Set(rendered.map(({ f }) => `${f.uid}:${f.gid}`));
  const [uid, gid] = owners.size === 1 ? [rendered[0].f.uid, rendered[0].f.gid] : [0, 0];
  const mode = owners.size === 1 ? 0o700 : 0o711;
  mkdirs(paths.secrets, 0o711);
  mkdirs(dir, mode);
  chown(dir, uid, gid);
  chmod(dir, mode);
  for (const { path, text, f } of rendered) writeAtomic(path, text, f.mode, { uid: f.uid, gid: f.gid });
  return rendered.map((r) => r.path);
}

/** Removes a service's rendered secrets (when it stops). */
export function removeSecrets(service: string): void {
  removeTree(paths.secretsOf(service));
}
