// Base64 (RFC 4648), both alphabets: the engine has no atob/btoa.
const standard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const urlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export function base64Encode(bytes: Uint8Array, url = false): string {
  const abc = url ? urlSafe : standard;
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += abc[(n >> (18 - 6 * k)) & 63];
  }
  return url ? out : out.padEnd(Math.ceil(out.length / 4) * 4, "=");
}

/** Decodes either alphabet, padded or not; throws naming `what` on anything else. */
export function base64Decode(text: string, what: string): Uint8Array {
  const s = text.replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/_-]*$/.test(s) || s.length % 4 === 1) throw new Error(`${what}: not base64`);
  const out = new Uint8Array(Math.floor((s.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const ch of s) {
    const v = ch === "-" || ch === "+" ? 62 : ch === "_" || ch === "/" ? 63 : urlSafe.indexOf(ch);
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out;
}
