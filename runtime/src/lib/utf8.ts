// UTF-8 conversion for raw fd I/O (QuickJS-ng has no TextEncoder/TextDecoder).

export function encode(s: string): Uint8Array {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

const minimum = [0, 0x80, 0x800, 0x10000];

/** Decodes UTF-8; a malformed or overlong sequence becomes U+FFFD. */
export function decode(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const extra = b < 0x80 ? 0 : b >= 0xc0 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf8 ? 3 : -1;
    let c = extra <= 0 ? b : b & (0x3f >> extra);
    let ok = extra >= 0;
    for (let k = 1; ok && k <= extra; k++) {
      const cont = bytes[i + k];
      ok = cont !== undefined && (cont & 0xc0) === 0x80;
      if (ok) c = (c << 6) | (cont & 63);
    }
    ok &&= c >= minimum[extra] && c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);
    parts.push(ok ? String.fromCodePoint(c) : "\ufffd");
    i += ok ? extra + 1 : 1;
  }
  return parts.join("");
}
