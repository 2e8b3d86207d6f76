// Publishing a secrets document (JSON from a vault) as the outputs of a secrets service: objects
// become folders, values become files, so `outputRef(secrets, "ssh/authorizedKeys/root")` reads
// one. The whole set is swapped in at once (renameat2 RENAME_EXCHANGE of the outputs folder), so
// a reader sees the old secrets or the new ones, never a mix; files are readable by root only.
// The document is checked by hand (the device bundle has no zod); errors name the path, never a value.
import * as os from "qjs:os";
import * as std from "qjs:std";
import { renameExchange } from "limen:native";
import { isDir, mkdirs, removeTree, writeAtomic } from "../lib/fs";
import { readOutputs } from "../svc/outputs";
import { paths } from "../svc/paths";

/** Output key → text. */
export type Secrets = Record<string, string>;

const keyName = /^[A-Za-z0-9_@-][A-Za-z0-9_.@-]*$/;
const maxDepth = 16;
const maxKeys = 4096;

/**
 * Flattens a secrets document into output keys. Strings are kept as they are, numbers and
 * booleans as JSON text, a list of strings as one line each (an authorized_keys file, say).
 */
export function checkSecrets(doc: unknown, source: string): Secrets {
  const out: Secrets = {};
  let count = 0;
  const walk = (v: unknown, path: string[]): void => {
    const where = path.length === 0 ? "the document" : path.join(".");
    if (typeof v === "string") out[path.join("/")] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[path.join("/")] = JSON.stringify(v);
    else if (Array.isArray(v)) {
      const bad = v.findIndex((x) => typeof x !== "string");
      if (bad >= 0) throw new Error(`${source}: ${where}[${bad}] is ${describe(v[bad])}: a list may only hold strings`);
      out[path.join("/")] = v.map((x) => `${x as string}\n`).join("");
    } else if (typeof v === "object" && v !== null) {
      if (path.length >= maxDepth) throw new Error(`${source}: ${where} is nested deeper than ${maxDepth} levels`);
      for (const [k, x] of Object.entries(v)) {
        if (!keyName.test(k))
          throw new Error(
            `${source}: ${where} has a key ${JSON.stringify(k)} that is not a name of letters, digits and _ . @ - (not starting with a dot)`,
          );
        if (++count > maxKeys) throw new Error(`${source}: more than ${maxKeys} keys`);
        walk(x, [...path, k]);
      }
    } else
      throw new Error(
        `${source}: ${where} is ${describe(v)}: secrets are strings, numbers, booleans, lists of strings, or objects of those`,
      );
  };
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new Error(`${source}: the document is ${describe(doc)}, not a JSON object`);
  walk(doc, []);
  return out;
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : `a ${typeof v}`;
}

function sameSecrets(a: Secrets, b: Secrets): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/** Makes `secrets` the outputs of `service` in one step; false when they are already those. */
export function publishSecrets(service: string, secrets: Secrets): boolean {
  const dir = paths.outputsOf(service);
  if (isDir(dir) && sameSecrets(readOutputs(service), secrets)) return false;
  // hidden beside the live folder (same filesystem): output readers skip dot names. One
  // publisher a service: whatever is left there is from one that was killed midway.
  const staging = `${paths.outputs}/.${service}.new`;
  removeTree(staging);
  try {
    mkdirs(staging, 0o700);
    for (const [key, value] of Object.entries(secrets)) {
      const path = `${staging}/${key}`;
      mkdirs(path.slice(0, path.lastIndexOf("/")), 0o700);
      writeAtomic(path, value, 0o600);
    }
  } catch (e) {
    // /run full, say: the last good set stays, and nothing of this one
    removeTree(staging);
    throw e;
  }
  if (isDir(dir)) {
    renameExchange(staging, dir);
    removeTree(staging);
  } else {
    const r = os.rename(staging, dir);
    if (r < 0) {
      removeTree(staging);
      throw new Error(`rename ${staging} to ${dir}: ${std.strerror(-r)}`);
    }
  }
  return true;
}
