// Secret file templates: configuration file text with holes filled from other services' outputs
// when the service starts. The image holds only the template (text and references, never a
// value): /etc/limen/secrets/<service>.json, written by the host's compiler (image/config/) and
// checked here by hand (the device cannot afford zod). Rendered files go to
// /run/secrets/<service>/<name>.
import { authorizedKeysProblem, ed25519PrivateKey } from "./ssh-keys.js";

export const secretsVersion = 1;

/**
 * How an output's value is written into a file: `text` as it is (several lines of keys, say);
 * `line` as one line of a line-oriented file (hostapd.conf): trailing line breaks are dropped,
 * as the shell's $(...) did, and any other line break is refused, as it would add a line of its
 * own; `pppd` as one double-quoted word of a pppd options or secrets file (a line, with \ and "
 * escaped for pppd's reader); `ssh-public-keys` as authorized_keys text, each line a public key
 * (or blank, or a # comment), ending with a line break; `openssh-ed25519-key` as the private key
 * file `ssh-keygen -t ed25519 -N ""` writes (an ssh host key).
 */
export const valueFormats = ["text", "line", "pppd", "ssh-public-keys", "openssh-ed25519-key"] as const;
export type ValueFormat = (typeof valueFormats)[number];

export interface OutputHole {
  service: string;
  path: string;
  as: ValueFormat;
}

/** A value its format cannot hold; the message says why, never what the value is. */
export class Refused extends Error {}

/** The value as written in a format, or Refused. */
export function formatValue(value: string, as: ValueFormat): string {
  if (as === "text") return value;
  if (as === "ssh-public-keys") {
    const problem = authorizedKeysProblem(value);
    if (problem !== null) throw new Refused(problem);
    return value === "" || value.endsWith("\n") ? value : `${value}\n`;
  }
  if (as === "openssh-ed25519-key") {
    const key = ed25519PrivateKey(value);
    if ("problem" in key) throw new Refused(key.problem);
    return key.key;
  }
  const line = value.replace(/\n+$/, "");
  if (/[\r\n\0]/.test(line)) throw new Refused("holds a line break or NUL");
  return as === "line" ? line : `"${line.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export interface SecretFileSpec {
  uid: number;
  gid: number;
  /** No access for group or others: 0o400 or 0o600. */
  mode: number;
  /** Text and holes, concatenated in order. */
  parts: (string | OutputHole)[];
}

export interface SecretsSpec {
  version: typeof secretsVersion;
  files: Record<string, SecretFileSpec>;
}

/** A rendered file's name: one plain path component. */
export const secretFileName = /^[A-Za-z0-9_@-][A-Za-z0-9_.@-]*$/;

function fail(where: string, what: string): never {
  throw new Error(`${where}: ${what}`);
}

function id(v: unknown, where: string): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) fail(where, "must be a user or group id");
}

export function checkSecretsSpec(raw: unknown, source: string): SecretsSpec {
  if (typeof raw !== "object" || raw === null) fail(source, "is not a JSON object");
  const spec = raw as { version?: unknown; files?: unknown };
  if (spec.version !== secretsVersion) fail(source, `version ${JSON.stringify(spec.version)} is not ${secretsVersion}`);
  if (typeof spec.files !== "object" || spec.files === null) fail(source, "has no files object");
  for (const [name, f] of Object.entries(spec.files as Record<string, Record<string, unknown>>)) {
    const where = `${source}: files.${name}`;
    if (!secretFileName.test(name)) fail(where, "name must be one path component of letters, digits and _ . @ -");
    if (typeof f !== "object" || f === null) fail(where, "is not an object");
    id(f.uid, `${where}.uid`);
    id(f.gid, `${where}.gid`);
    if (
      typeof f.mode !== "number" ||
      !Number.isInteger(f.mode) ||
      f.mode < 0 ||
      f.mode > 0o700 ||
      (f.mode & 0o077) !== 0
    ) {
      fail(`${where}.mode`, "must give no access to group or others");
    }
    if (!Array.isArray(f.parts)) fail(`${where}.parts`, "must be a list");
    for (const p of f.parts as unknown[]) {
      if (typeof p === "string") continue;
      const hole = p as Partial<OutputHole> | null;
      if (
        typeof hole?.service !== "string" ||
        typeof hole.path !== "string" ||
        !(valueFormats as readonly unknown[]).includes(hole.as)
      )
        fail(`${where}.parts`, `must hold strings and {service, path, as: ${valueFormats.join(" | ")}} references`);
    }
  }
  return raw as SecretsSpec;
}
