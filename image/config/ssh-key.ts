// An ssh public key as one line of authorized_keys holds it: the key type, the key in base64 (whose
// first field names the same type) and an optional comment. One key an entry, so a line break
// cannot add a second key nor options (command=, from=) in front of it.
import { z } from "zod";

/** The key types Dropbear and OpenSSH take in authorized_keys. */
const keyTypes = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
];

/** What is wrong with `line` as one public key, or null. */
export function sshKeyProblem(line: string): string | null {
  // tabs may separate the fields; any other control character (a line break above all) may not
  if (/\p{Cc}/u.test(line.replace(/\t/g, " ")))
    return "must be one key on one line (no line break or control character)";
  const [type, blob] = line.trim().split(/[ \t]+/);
  if (!keyTypes.includes(type))
    return `must start with a key type (${keyTypes.join(", ")}), not ${JSON.stringify(type.slice(0, 40))}`;
  if (blob === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0)
    return `must have the ${type} key in base64 after its type`;
  const bytes = Buffer.from(blob, "base64");
  const length = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  const inner = length >= 0 && bytes.length > 4 + length ? bytes.subarray(4, 4 + length).toString("latin1") : null;
  if (inner !== type)
    return `holds a key that is not ${type} (${inner === null ? "truncated" : JSON.stringify(inner.slice(0, 40))})`;
  return null;
}

export const sshPublicKey = z.string().superRefine((line, ctx) => {
  const problem = sshKeyProblem(line);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});
