import { decode, encode } from "../../runtime/src/lib/utf8";
import { equal, type Suite } from "./assert";

export const utf8: Suite = {
  "round trip of 1- to 4-byte characters": () => {
    const s = "a é € 𝄞 ✓";
    equal([...encode("é€𝄞")], [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9d, 0x84, 0x9e], "bytes");
    equal(decode(encode(s)), s, "decoded");
  },
  "malformed input becomes U+FFFD": () => {
    equal(decode(new Uint8Array([0x61, 0xff, 0x62])), "a\ufffdb", "invalid byte");
    equal(decode(new Uint8Array([0xe2, 0x82])), "\ufffd\ufffd", "truncated sequence");
    equal(decode(new Uint8Array([0xc0, 0xaf])), "\ufffd\ufffd", "overlong /");
    equal(decode(new Uint8Array([0xed, 0xa0, 0x80])), "\ufffd\ufffd\ufffd", "surrogate");
  },
};
