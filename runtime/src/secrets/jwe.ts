// Clevis/Tang JWE (compact serialization, "alg":"ECDH-ES", "enc":"A*GCM"): the content key was
// agreed between the file's ephemeral key (epk) and the Tang server's exchange key. The server
// never sees it: McCallum-Relyea recovery blinds epk with a fresh key e, X = epk + e·G, the
// server returns Y = s·X, and s·epk = Y − e·S (S = s·G, from the advertisement in the header).
// Then Concat KDF (RFC 7518 4.6) over its x coordinate gives the AES-GCM key.
import { aesGcmDecrypt, ecMulAdd, randomBytes, sha256, type Curve } from "limen:native";
import { base64Decode, base64Encode } from "../lib/base64";
import { decode, encode } from "../lib/utf8";
import { concat } from "../lib/bytes";

/** The order of each curve's group, and its field size in bytes. */
const curves: Record<Curve, { order: bigint; size: number }> = {
  "P-256": { order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n, size: 32 },
  "P-384": {
    order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    size: 48,
  },
  "P-521": {
    order:
      0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    size: 66,
  },
};
const keyBits: Record<string, number> = { A128GCM: 128, A192GCM: 192, A256GCM: 256 };

export class JweError extends Error {}

export interface EcKey {
  crv: Curve;
  /** Uncompressed point. */
  point: Uint8Array;
}

/** What decryption needs from the file, checked. */
export interface TangJwe {
  /** The first part as written: authenticated as AES-GCM's additional data. */
  protectedText: string;
  enc: string;
  url: string;
  kid: string;
  epk: EcKey;
  /** The server's exchange key, from the advertisement recorded in the file. */
  server: EcKey;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

const buf = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new JweError(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function text(v: unknown, what: string): string {
  if (typeof v !== "string" || v === "") throw new JweError(`${what} is missing or not a string`);
  return v;
}

function coordinate(v: unknown, size: number, what: string): Uint8Array {
  const b = base64Decode(text(v, what), what);
  if (b.length !== size) throw new JweError(`${what} is ${b.length} bytes, not ${size}`);
  return b;
}

/** An EC public key from a JWK. */
export function ecKey(raw: unknown, what: string): EcKey {
  const jwk = object(raw, what);
  if (jwk.kty !== "EC") throw new JweError(`${what}: kty is ${JSON.stringify(jwk.kty)}, not "EC"`);
  const crv = text(jwk.crv, `${what}.crv`);
  if (!Object.hasOwn(curves, crv)) throw new JweError(`${what}: curve ${crv} is not P-256, P-384 or P-521`);
  const { size } = curves[crv as Curve];
  const point = new Uint8Array(1 + 2 * size);
  point[0] = 4;
  point.set(coordinate(jwk.x, size, `${what}.x`), 1);
  point.set(coordinate(jwk.y, size, `${what}.y`), 1 + size);
  return { crv: crv as Curve, point };
}

export function jwk(key: EcKey): { kty: "EC"; crv: Curve; x: string; y: string } {
  const size = curves[key.crv].size;
  return {
    kty: "EC",
    crv: key.crv,
    x: base64Encode(key.point.subarray(1, 1 + size), true),
    y: base64Encode(key.point.subarray(1 + size), true),
  };
}

/** RFC 7638 thumbprint of an EC key, SHA-256, as Tang names its keys. */
function thumbprint(key: EcKey): string {
  const { crv, kty, x, y } = jwk(key);
  return base64Encode(new Uint8Array(sha256(buf(encode(JSON.stringify({ crv, kty, x, y }))))), true);
}

function json(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(decode(bytes));
  } catch {
    throw new JweError(`${what} is not JSON`);
  }
}

/** The advertisement's keys: a JWS whose payload holds {keys}, or {keys} itself. */
function advertisedKeys(adv: Record<string, unknown>): unknown[] {
  const body =
    typeof adv.payload === "string"
      ? object(
          json(base64Decode(adv.payload, "clevis.tang.adv.payload"), "clevis.tang.adv.payload"),
          "clevis.tang.adv.payload",
        )
      : adv;
  if (!Array.isArray(body.keys)) throw new JweError("clevis.tang.adv has no keys");
  return body.keys;
}

export function parseTangJwe(file: string): TangJwe {
  const parts = file.trim().split(".");
  if (parts.length !== 5) throw new JweError(`not a compact JWE: ${parts.length} parts, not 5`);
  const [protectedText, encryptedKey, iv, ciphertext, tag] = parts as [string, string, string, string, string];
  if (encryptedKey !== "")
    throw new JweError("has an encrypted key: not ECDH-ES direct key agreement, as Clevis writes");
  const header = object(json(base64Decode(protectedText, "protected header"), "protected header"), "protected header");
  if (header.alg !== "ECDH-ES") throw new JweError(`alg is ${JSON.stringify(header.alg)}, not "ECDH-ES"`);
  const enc = text(header.enc, "enc");
  if (!Object.hasOwn(keyBits, enc)) throw new JweError(`enc ${enc} is not A128GCM, A192GCM or A256GCM`);
  const clevis = object(header.clevis, "clevis");
  if (clevis.pin !== "tang") throw new JweError(`clevis pin is ${JSON.stringify(clevis.pin)}, not "tang"`);
  const tang = object(clevis.tang, "clevis.tang");
  const url = text(tang.url, "clevis.tang.url");
  const kid = text(header.kid, "kid");
  const epk = ecKey(header.epk, "epk");
  const server = advertisedKeys(object(tang.adv, "clevis.tang.adv"))
    .filter((k) => (k as { alg?: unknown }).alg === "ECMR")
    .map((k, i) => ecKey(k, `clevis.tang.adv.keys[${i}]`))
    .find((k) => thumbprint(k) === kid);
  if (!server) throw new JweError(`the advertisement holds no exchange (ECMR) key with kid ${kid}`);
  if (server.crv !== epk.crv) throw new JweError(`epk is on ${epk.crv} but the server key on ${server.crv}`);
  return {
    protectedText,
    enc,
    url,
    kid,
    epk,
    server,
    iv: base64Decode(iv, "iv"),
    ciphertext: base64Decode(ciphertext, "ciphertext"),
    tag: base64Decode(tag, "tag"),
  };
}

function bytesOf(n: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/** A scalar in 1..order−1 (reduced from 8 bytes more than needed, so nearly uniform). */
function randomScalar(crv: Curve): bigint {
  const { order, size } = curves[crv];
  let n = 0n;
  for (const b of new Uint8Array(randomBytes(size + 8))) n = (n << 8n) | BigInt(b);
  return (n % (order - 1n)) + 1n;
}

/** ecMulAdd, its refusal of a point (off the curve, or a sum at infinity) as a JweError naming `what`. */
function mulAdd(what: string, ...args: Parameters<typeof ecMulAdd>): Uint8Array {
  try {
    return new Uint8Array(ecMulAdd(...args));
  } catch (e) {
    // the native call throws RangeError for a bad point; the cause is left off, the message says it all
    if (e instanceof RangeError) throw new JweError(`${what}: ${e.message.replace(/^ecMulAdd: /, "")}`);
    throw e;
  }
}

/** Starts recovery: the blinded key to send to the server, and how to finish with its answer. */
export function recoveryRequest(jwe: TangJwe): { request: EcKey; finish(reply: EcKey): Uint8Array } {
  const { order, size } = curves[jwe.epk.crv];
  const e = randomScalar(jwe.epk.crv);
  const one = buf(bytesOf(1n, 1));
  const x = mulAdd("epk", jwe.epk.crv, buf(jwe.epk.point), null, one, buf(bytesOf(e, size)));
  return {
    request: { crv: jwe.epk.crv, point: x },
    finish(reply: EcKey): Uint8Array {
      if (reply.crv !== jwe.epk.crv) throw new JweError(`the server answered on ${reply.crv}, not ${jwe.epk.crv}`);
      // Y + (order − e)·S = s·epk: the ECDH secret of the file's ephemeral key and the server key
      const shared = mulAdd(
        "the server's answer",
        reply.crv,
        buf(reply.point),
        buf(jwe.server.point),
        one,
        buf(bytesOf(order - e, size)),
      );
      return decryptWith(jwe, shared.subarray(1, 1 + size));
    },
  };
}

function be32(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** The plaintext, given the ECDH secret Z (x coordinate). */
function decryptWith(jwe: TangJwe, z: Uint8Array): Uint8Array {
  const bits = keyBits[jwe.enc];
  const alg = encode(jwe.enc);
  // Concat KDF, one SHA-256 round (keys are at most 256 bits); PartyUInfo and PartyVInfo empty
  const otherInfo = concat([be32(alg.length), alg, be32(0), be32(0), be32(bits)]);
  const key = new Uint8Array(sha256(buf(concat([be32(1), z, otherInfo])))).subarray(0, bits / 8);
  const plain = aesGcmDecrypt(buf(key), buf(jwe.iv), buf(encode(jwe.protectedText)), buf(jwe.ciphertext), buf(jwe.tag));
  if (plain === null)
    throw new JweError("does not decrypt: the tag does not match (a damaged file, or a server with other keys)");
  return new Uint8Array(plain);
}
