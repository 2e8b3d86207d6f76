// SSH keys as users hand them over: public keys one a line (authorized_keys), and the private key
// file `ssh-keygen -t ed25519` writes. Shared by the host (a configuration's literal keys) and the
// device (keys that arrive as outputs, checked when rendered), so both refuse by the same rules.
// Pure: no engine module, so the host's compiler may import it.
import { base64Decode } from "../lib/base64.js";

/** The key types Dropbear and OpenSSH take in authorized_keys. */
export const sshKeyTypes = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
];

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The latin1 text of `bytes` (key type names are ASCII). */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/**
 * What is wrong with `line` as one public key (type, base64 key whose first field names the same
 * type, optional comment), or null. One key a line, so that nothing can put a second key or
 * options (command=, from=) in front of it. `quote`: the message may show part of the line (a
 * configuration's literal, never a value that arrived at run time).
 */
export function sshKeyProblem(line: string, quote: boolean): string | null {
  // tabs may separate the fields; any other control character (a line break above all) may not
  if (/\p{Cc}/u.test(line.replace(/\t/g, " ")))
    return "must be one key on one line (no line break or control character)";
  const [type, blob] = line.trim().split(/[ \t]+/);
  if (!sshKeyTypes.includes(type))
    return `must start with a key type (${sshKeyTypes.join(", ")})${quote ? `, not ${JSON.stringify(type.slice(0, 40))}` : ""}`;
  if (blob === undefined || !base64.test(blob) || blob.length % 4 !== 0)
    return `must have the ${type} key in base64 after its type`;
  const bytes = base64Decode(blob, type);
  const length = bytes.length >= 4 ? ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0 : -1;
  const inner = length >= 0 && bytes.length > 4 + length ? latin1(bytes.subarray(4, 4 + length)) : null;
  if (inner === type) return null;
  const shown = inner === null ? "truncated" : quote || sshKeyTypes.includes(inner) ? JSON.stringify(inner) : null;
  return `holds a key that is not ${type}${shown === null ? "" : ` (${shown})`}`;
}

/** What is wrong with a line of an authorized_keys text (blank and # lines are not keys), or null. */
export function authorizedKeysProblem(text: string): string | null {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (/^[ \t]*(#.*)?$/.test(lines[i])) continue;
    const problem = sshKeyProblem(lines[i], false);
    if (problem !== null) return `line ${i + 1} ${problem}`;
  }
  return null;
}

const begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
const end = "-----END OPENSSH PRIVATE KEY-----";
const magic = "openssh-key-v1\0";

class Damaged extends Error {}

/**
 * The private key file `ssh-keygen -t ed25519 -N ""` writes, in the form `dropbearconvert openssh
 * dropbear` reads (its body wrapped at 70 columns, a final line break), or a message saying what
 * is wrong with `text` that never shows any of it. Checked: the armour, the openssh-key-v1
 * structure, no passphrase, one key, ed25519 in both halves with the same public key, padding.
 */
export function ed25519PrivateKey(text: string): { key: string } | { problem: string } {
  const lines = text
    .trim()
    .split("\n")
    .map((l) => l.trim());
  const body = lines.slice(1, -1).join("");
  if (lines[0] !== begin || lines[lines.length - 1] !== end || !base64.test(body) || body.length % 4 !== 0)
    return { problem: `is not an OpenSSH private key (${begin}, as ssh-keygen -t ed25519 writes)` };
  const b = base64Decode(body, "private key");
  let at = 0;
  const take = (n: number, from: Uint8Array = b): Uint8Array => {
    if (at + n > from.length) throw new Damaged();
    at += n;
    return from.subarray(at - n, at);
  };
  const u32 = (from?: Uint8Array) => {
    const v = take(4, from);
    return ((v[0] << 24) | (v[1] << 16) | (v[2] << 8) | v[3]) >>> 0;
  };
  const field = (from?: Uint8Array) => take(u32(from), from);
  const same = (x: Uint8Array, y: Uint8Array) => x.length === y.length && x.every((v, i) => v === y[i]);
  try {
    if (latin1(take(magic.length)) !== magic) throw new Damaged();
    if (latin1(field()) !== "none" || latin1(field()) !== "none")
      return { problem: `is protected by a passphrase, which sshd cannot type (ssh-keygen -p -N "" removes it)` };
    field(); // the key derivation's options: none without one
    if (u32() !== 1) return { problem: "holds more than one key" };
    const pub = field();
    const priv = field();
    if (at !== b.length) throw new Damaged();
    at = 0;
    if (latin1(field(pub)) !== "ssh-ed25519")
      return { problem: "holds a key that is not ssh-ed25519 (ssh-keygen -t ed25519 makes one)" };
    const pk = field(pub);
    if (pk.length !== 32 || at !== pub.length) throw new Damaged();
    at = 0;
    // two equal check words (they differ when a passphrase's decryption went wrong), then the key
    if (u32(priv) !== u32(priv) || latin1(field(priv)) !== "ssh-ed25519" || !same(field(priv), pk)) throw new Damaged();
    const secret = field(priv); // the seed, then the public key again
    if (secret.length !== 64 || !same(secret.subarray(32), pk)) throw new Damaged();
    field(priv); // the comment
    for (let pad = 1; at < priv.length; pad++) if (take(1, priv)[0] !== pad) throw new Damaged();
  } catch (e) {
    if (e instanceof Damaged) return { problem: "is an OpenSSH private key file, but truncated or damaged" };
    throw e;
  }
  const wrapped = body.match(/.{1,70}/g) ?? [];
  return { key: [begin, ...wrapped, end, ""].join("\n") };
}
