// Renders a service's secret files at its start: each template's holes are filled from the
// outputs of the services named, and the file is written atomically, owned by the service's user
// with no access for others, under /run/secrets/<service>/. All files are rendered before any is
// written, so a missing output leaves the previous files in place. Errors name the file and the
// output, never a value.
import { readBytes, mkdirs, removeTree, writeAtomic } from "../lib/fs";
import { decode } from "../lib/utf8";
import { readOutput } from "../svc/outputs";
import { paths } from "../svc/paths";
import { chmod } from "limen:native";
import { checkSecretsSpec, type SecretsSpec } from "./template";

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
        return value;
      })
      .join("");
    return { path: `${dir}/${name}`, text, f };
  });
  // Traversable but not listable: each file's own mode and owner decide who reads it.
  mkdirs(paths.secrets, 0o711);
  mkdirs(dir, 0o711);
  chmod(dir, 0o711);
  for (const { path, text, f } of rendered) writeAtomic(path, text, f.mode, { uid: f.uid, gid: f.gid });
  return rendered.map((r) => r.path);
}

/** Removes a service's rendered secrets (when it stops). */
export function removeSecrets(service: string): void {
  removeTree(paths.secretsOf(service));
}
