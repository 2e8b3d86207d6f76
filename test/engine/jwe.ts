// Base64 and Clevis/Tang JWE decryption inside the engine, on every CPU. The file was made by
// Debian's `clevis encrypt tang` against tangd; the test plays the server with that server's
// exchange key (Y = s·X), so the whole McCallum-Relyea recovery and the Concat KDF run here.
import { ecMulAdd } from "limen:native";
import { base64Decode, base64Encode } from "../../runtime/src/lib/base64";
import { decode, encode } from "../../runtime/src/lib/utf8";
import { JweError, parseTangJwe, recoveryRequest, type EcKey } from "../../runtime/src/secrets/jwe";
import { equal, type Suite } from "./assert";

export const file =
  "eyJhbGciOiJFQ0RILUVTIiwiY2xldmlzIjp7InBpbiI6InRhbmciLCJ0YW5nIjp7ImFkdiI6eyJrZXlzIjpbeyJhbGciOiJFUzUxMiIsImNydiI6IlAtNTIxIiwia2V5X29wcyI6WyJ2ZXJpZnkiXSwia3R5IjoiRUMiLCJ4IjoiQVVnQ1ZMRkJ0aUdkRThVNm5URGhnQy1CNkk5WXpvQ0VKU2QyV01NWDNMYklaOWpTZ3dFaW05VFdhOEhHbk1GMm1tUWJPVS1wT0I5bVBQZVlkMDNxTEY1VSIsInkiOiJBZC1DS2JvVGVYUnJURlQxZlR0amIzQ3Zoams2V0JrNDZHQlBmejNzSGdOb3M5SDJXZGZKMzZ5eGRIMDFlbjl6bEFZQ0tsb0hfMTVSQjJucFZGV3JuTWkxIn0seyJhbGciOiJFQ01SIiwiY3J2IjoiUC01MjEiLCJrZXlfb3BzIjpbImRlcml2ZUtleSJdLCJrdHkiOiJFQyIsIngiOiJBWGQ4NXpvN3doMC13cVg2Z2d5ODdFb3c4RkNESEhkOUt2SlFPbDZxNFN3UXQ4U0lTX1pZako2ZklTVnRBVzBLVUU4TWdkb1FRSHRaTDVaR3RIbmNxYXZvIiwieSI6IkFKUTBKZVg0MktENXZHY25TeTQzQTBzQXgzcExiWVpZYWZTWEdiaEFBNEp5OER5NW9icnYtcEg5TXlROEs5LTJ2Y0RFVE9NSzRnam54WWthNFdmOUdEMGsifV19LCJ1cmwiOiJodHRwOi8vMTI3LjAuMC4xOjQyMjkzIn19LCJlbmMiOiJBMjU2R0NNIiwiZXBrIjp7ImNydiI6IlAtNTIxIiwia3R5IjoiRUMiLCJ4IjoiQUd0RllreURvcUpaWG1DRjNSQU9iV0FrQTJhZG5xTEZBcFlRZmFHRjU3Z2lqUnBlYnRUbFB1ajRCNjJIa1ZtRU00UkpVakRYaFd2dTVvZjFmMWZHYWNSRCIsInkiOiJBSTV1N042Wks2Y0xuc0ZKX1lpN0hwTzV1M0FYRnFmT2F5RlhJVEZ1cHQtemNQZlAwaXFoa0FkMzgycUdfeV83emRJeEpLUGRfRFFqZi1hMHpWMkpLN3NZIn0sImtpZCI6Img0UGdUUW9fUlhnc3lQamFWOURJX3VUZ3l5LVZYaUdCMjNhT2JTYllzdk0ifQ..K5vLpbPgHY7uY7mx.UxqcBXXD3b3fZ83BoLTZ7SS_GnlsT6dOt9A-418VBb3H5Xi81MQ.EvV6DqGehbT2745vpWp2Kg";
/** The tangd exchange key (ECMR, P-521) the file was made for: its private scalar d. */
const serverD = "AFfCySHPVQ_efdnKj8fsSpspii3Moeabhx8P5kbf2XRZOC7kb0mMkIf0fE52aH6ECVy5MbC3_1f9ifj6gx0u-oHZ";
const p521Order =
  0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n;

const buf = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function bytesOf(n: bigint, size: number): ArrayBuffer {
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out.buffer;
}

/** What tangd computes for /rec: s·X, here as (s·X + G) − G since ecMulAdd adds two terms. */
export function serverAnswer(x: EcKey): EcKey {
  const sxg = ecMulAdd("P-521", buf(x.point), null, buf(base64Decode(serverD, "d")), bytesOf(1n, 1));
  return {
    crv: "P-521",
    point: new Uint8Array(ecMulAdd("P-521", sxg, null, bytesOf(1n, 1), bytesOf(p521Order - 1n, 66))),
  };
}

function throwsJwe(fn: () => unknown, start: string): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof JweError)) throw e;
    if (!e.message.startsWith(start))
      throw new Error(`message "${e.message}" does not start with "${start}"`, { cause: e });
    return;
  }
  throw new Error(`expected a JweError "${start}", nothing was thrown`);
}

export const jwe: Suite = {
  "base64: RFC 4648 vectors both ways, url-safe without padding, garbage refused"() {
    const vectors: [string, string][] = [
      ["", ""],
      ["f", "Zg=="],
      ["fo", "Zm8="],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg=="],
      ["fooba", "Zm9vYmE="],
      ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, coded] of vectors) {
      equal(base64Encode(encode(plain)), coded, plain);
      equal(decode(base64Decode(coded, "v")), plain, coded);
    }
    equal(base64Encode(new Uint8Array([0xfb, 0xff]), true), "-_8", "url-safe");
    equal([...base64Decode("-_8", "v")], [0xfb, 0xff], "url-safe decode");
    try {
      base64Decode("ab!d", "the field");
      throw new Error("no error");
    } catch (e) {
      equal((e as Error).message, "the field: not base64", "error");
    }
  },
  "jwe: a clevis tang file recovers through a blinded exchange with the server's key"() {
    const parsed = parseTangJwe(file);
    equal(
      [parsed.enc, parsed.epk.crv, parsed.server.crv, parsed.kid],
      ["A256GCM", "P-521", "P-521", "h4PgTQo_RXgsyPjaV9DI_uTgyy-VXiGB23aObSbYsvM"],
      "header",
    );
    const first = recoveryRequest(parsed);
    const second = recoveryRequest(parsed);
    // each request is blinded afresh: the server never sees the same point twice, nor epk
    equal(base64Encode(first.request.point) === base64Encode(second.request.point), false, "blinding");
    equal(base64Encode(first.request.point) === base64Encode(parsed.epk.point), false, "epk hidden");
    equal(decode(first.finish(serverAnswer(first.request))), '{"wifi":{"psk":"correct horse"},"n":7}', "plaintext");
    equal(
      decode(second.finish(serverAnswer(second.request))),
      '{"wifi":{"psk":"correct horse"},"n":7}',
      "plaintext again",
    );
  },
  "jwe: a changed byte, a wrong answer or a file of another kind is refused clearly"() {
    const parts = file.split(".");
    const tag = base64Decode(parts[4], "tag");
    tag[0] ^= 1;
    const tampered = [...parts.slice(0, 4), base64Encode(tag, true)].join(".");
    const r = recoveryRequest(parseTangJwe(tampered));
    throwsJwe(() => r.finish(serverAnswer(r.request)), "does not decrypt: the tag does not match");
    const s = recoveryRequest(parseTangJwe(file));
    throwsJwe(() => s.finish(serverAnswer(parseTangJwe(file).epk)), "does not decrypt");
    const offCurve = serverAnswer(s.request).point.slice();
    offCurve[1] ^= 1;
    throwsJwe(() => s.finish({ crv: "P-521", point: offCurve }), "the server's answer: a point is not on P-521");
    throwsJwe(() => parseTangJwe("a.b.c"), "not a compact JWE: 3 parts, not 5");
    throwsJwe(
      () => parseTangJwe([base64Encode(encode('{"alg":"dir","enc":"A256GCM"}'), true), "", "", "", ""].join(".")),
      'alg is "dir", not "ECDH-ES"',
    );
    throwsJwe(() => parseTangJwe(["e30", "", "", "", ""].join(".")), "alg is undefined");
    throwsJwe(() => parseTangJwe(["bm9wZQ", "", "", "", ""].join(".")), "protected header is not JSON");
  },
};
