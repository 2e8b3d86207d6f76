// Known-answer tests of the BearSSL crypto primitives in limen:native. The EC and AES-GCM vectors
// were computed with OpenSSL (Node's crypto): an independent implementation.
import * as native from "limen:native";
import { encode } from "../../runtime/src/lib/utf8";
import { equal, type Suite } from "./assert";

function hex(b: ArrayBuffer): string {
  return [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
}
function bytes(h: string): ArrayBuffer {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out.buffer;
}
function text(s: string): ArrayBuffer {
  const u = encode(s);
  return u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
}
function throwsWith(fn: () => unknown, start: string): void {
  try {
    fn();
  } catch (e) {
    const m = (e as Error).message;
    if (!m.startsWith(start)) throw new Error(`message "${m}" does not start with "${start}"`, { cause: e });
    return;
  }
  throw new Error(`expected an error starting "${start}", nothing was thrown`);
}

// a = k1·G, b = k2·G; sumAB = x·a + y·b, sumAG = x·a + y·G
const x = "deadbeefcafebabe";
const y = "0102030405060708090a0b0c0d0e0f";
const points: Record<native.Curve, { g: string; a: string; b: string; sumAB: string; sumAG: string }> = {
  "P-256": {
    g: "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
    a: "042b34624f03aa7812d785cc5ca5946284b8e6c252dfac9f51ac48b94991880cc7dec4786911db801eed39794d7a1c88e1f92c45332a99d759c57c57da911b431e",
    b: "043ed7a28ec648edce5d5b7e252f6b2aafbb44835114a24b3caa8f710f64993bc2a8ee5cb2236dd6f8f49c60f66880148356e1331f9b640157527a38d4df952181",
    sumAB:
      "04df237b80480fd198a6f6a1575f864d704f77acc2dc259af612a05c6aef6b76981b31bd937f59b48c1ef1b0446b66241fe3a7e65082a65c24a86a22a1dcf4454d",
    sumAG:
      "047cf04055b6dd26c706bf15b7ad7ef816ea673292c46f8606489cf145e02ebdec7c083d7125f32a71109f5248833c43815056ef3d87051443cd730ecd217fba23",
  },
  "P-384": {
    g: "04aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab73617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f",
    a: "043f0d342553cf8376926f57ea1fefae5247de6726dda0d4e966088e13c840666c161dfe3b9829887cdfa63d70281bfd570c7cb4875928c7721d3e2709be8e381179c79a26c030a71727668f9dd4f13a0bf7c05982aa3de8488b1c3728ee6f5d5c",
    b: "04d8a17e55b8e2f47bc369fd9616695ce273dce4e307830a65f5a4a9aa8967c987aeea7ad365677a13bfd65c3fe5a66939423acabd3adec5aecba2457ddf544dc38e9a65b27af4c4450072fca42f75a613cdf6636856fb61b282bca30a8a8ec437",
    sumAB:
      "04be168b94788e040a07518ce5ef79ff77e540ec09a049142eb0aebae1abf0583102dd9e0ba7c2ee7e7204da4522ca5729341ed25d1d85e912dbc481fbfb51c7bdbddd0bd2c01aab0c1fe008b15d8abee85afe876b9921d75e335f75cf365bfbb8",
    sumAG:
      "045b78d41bd30429056e80e89554ca15985a1c279acc4d9e371cdd178c3b2624d1acaf2a47218356ca5908e2af0c10b94ce2a153a299e7cba1ae9e980e3c17604a92fb8a8ed327193034d9cddeb1c96d4351d44f49fd14e8a867722ae00af87b97",
  },
  "P-521": {
    g: "0400c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650",
    a: "0400a5e04634c53033b12f5c663e3d58f4dc36382fc78b60e6fbc4c29c7f12f75d9dbcc9e9bd707db6ab2c2c5c8d0f80dfcc47bc9ff8a2a30b0fbd8fd513b53f76733c00b829f83c21b4b69bf51495131c23b65dd476541392f594853f6a9d1fd199b77f8788bf194c893cc3647a6dea19463cfcc878bf328977190bca4ce3c5b0c2f5ca01",
    b: "0400fac4e7a5fdb90d37d8b6845f48f3c40c3c168b8dce87c471f19e9cd1caa4d9db4036052f5f7a27a29db66d4b0d94d88fe3163a7c22eb44fa325cb5d7a425e9a1e50066217afe83abac92e62947d9e792e0a43f9dad527b4e7b77d6c4e9e84deab9948e4266c2af7c2525b10d047e9625b94243cfb0dfcff95d0bb51c1785597426a439",
    sumAB:
      "040142984966c71cf9fd281bcab49c9cb6d4db765cb6f607995e985248f032705037785d0151ad7e4e3784871529fd3594cdd76b1463aca7aa37078e7225027696177f01ab48972bb7a3dc1850ac77c76256d8a3a4d0d05f7aa194b956f976786b0edd3a22555ed58e23de98475f2627313fa480f7d9462e468526b0e751a8928ab5b3ca9e",
    sumAG:
      "04011938ed6ae6771822e74ee4042a8c2ed80dce6e7d09f269c502caf515fcf161b8b9ae167410bf394083c32bc411c6a7834b0cf0141c0d4e3b09eeb50104118219b3003b82fffff9778a116ae027c976573a37b30957f8a3652570d78929f1b8bdbd0421cece615e59d2be7658ae82906ff2410aaf7996813e2e9461a1a4b53eb99760ed",
  },
};

const key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const iv = "cafebabefacedbaddecaf888";
const fox = "The quick brown fox jumps over the lazy dog";
const foxSealed = {
  ct: "decbc506db0f26782d2b3faf146ae71f6b4fb871b56c07043dff6b07dbfb458bc535e12aa0ae304242344f",
  tag: "ecb0c2a2cc1b1b6070b26d434f7ac3eb",
};

export const crypto: Suite = {
  "sha256 of FIPS 180-2 messages": () => {
    equal(
      hex(native.sha256(new ArrayBuffer(0))),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "empty",
    );
    equal(hex(native.sha256(text("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc");
    equal(
      hex(native.sha256(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
      "two blocks",
    );
  },
  "ecMulAdd: x·a + y·b and x·a + y·G on P-256, P-384 and P-521": () => {
    for (const [curve, p] of Object.entries(points) as [native.Curve, (typeof points)[native.Curve]][]) {
      equal(hex(native.ecMulAdd(curve, bytes(p.a), bytes(p.b), bytes(x), bytes(y))), p.sumAB, `${curve} x·a + y·b`);
      equal(hex(native.ecMulAdd(curve, bytes(p.a), null, bytes(x), bytes(y))), p.sumAG, `${curve} x·a + y·G`);
    }
  },
  "ecMulAdd doubles when both products are one point (G + G = 2G on P-256)": () => {
    const g = bytes(points["P-256"].g);
    const twoG =
      "047cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc4766997807775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1";
    equal(hex(native.ecMulAdd("P-256", g, g, bytes("01"), bytes("0001"))), twoG, "G·1 + G·1");
  },
  "ecMulAdd refuses points off the curve, wrong lengths, zero scalars and unknown curves": () => {
    const p = points["P-256"];
    const bad = new Uint8Array(bytes(p.a));
    bad[40] ^= 1;
    throwsWith(
      () => native.ecMulAdd("P-256", bad.buffer, null, bytes(x), bytes(y)),
      "ecMulAdd: a point is not on P-256",
    );
    throwsWith(
      () => native.ecMulAdd("P-384", bytes(p.a), null, bytes(x), bytes(y)),
      "ecMulAdd: P-384 points are 97 bytes uncompressed, got 65",
    );
    throwsWith(
      () => native.ecMulAdd("P-256", bytes(p.a), null, bytes("0000"), bytes(y)),
      "ecMulAdd: a multiplier is 0",
    );
    throwsWith(
      () => native.ecMulAdd("P-256", bytes(p.a), null, bytes("ff".repeat(32)), bytes(y)),
      "ecMulAdd: a multiplier is 0 or not below the order",
    );
    throwsWith(
      () => native.ecMulAdd("P-257" as native.Curve, bytes(p.a), null, bytes(x), bytes(y)),
      'ecMulAdd: unknown curve "P-257"',
    );
    throwsWith(
      () => native.ecMulAdd("P-256", "04" as unknown as ArrayBuffer, null, bytes(x), bytes(y)),
      "ecMulAdd: a must be an ArrayBuffer",
    );
  },
  "aesGcmDecrypt opens what OpenSSL sealed and refuses any change": () => {
    const open = (ct: string, tag: string, aad = "limen aad") =>
      native.aesGcmDecrypt(bytes(key), bytes(iv), text(aad), bytes(ct), bytes(tag));
    const plain = open(foxSealed.ct, foxSealed.tag);
    equal(plain && hex(plain), hex(text(fox)), "plaintext");
    equal(open(foxSealed.ct, foxSealed.tag, "limen aaD"), null, "other aad");
    equal(open(foxSealed.ct.replace(/^de/, "df"), foxSealed.tag), null, "changed ciphertext");
    equal(open(foxSealed.ct, foxSealed.tag.replace(/eb$/, "ea")), null, "changed tag");
    const empty = native.aesGcmDecrypt(
      bytes("feffe9928665731c6d6a8f9467308308"),
      bytes(iv),
      new ArrayBuffer(0),
      new ArrayBuffer(0),
      bytes("3247184b3c4f69a44dbcd22887bbb418"),
    );
    equal(empty && empty.byteLength, 0, "AES-128, nothing sealed");
    throwsWith(
      () =>
        native.aesGcmDecrypt(bytes("0011"), bytes(iv), new ArrayBuffer(0), new ArrayBuffer(0), bytes(foxSealed.tag)),
      "aesGcmDecrypt: key is 2 bytes",
    );
  },
  "randomBytes gives fresh bytes of the asked length": () => {
    const a = native.randomBytes(32);
    const b = native.randomBytes(32);
    equal([a.byteLength, b.byteLength, native.randomBytes(0).byteLength], [32, 32, 0], "lengths");
    if (hex(a) === hex(b)) throw new Error("two draws of 32 random bytes are equal");
    throwsWith(() => native.randomBytes(1025), "randomBytes: 1025 bytes asked");
  },
};
