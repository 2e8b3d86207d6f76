// TAI64N stamps (as s6 writes them in status files and s6-log in logs) to UTC time.
// s6 counts TAI seconds: UTC plus 10 s plus the leap seconds inserted since 1972.

/** Unix times (UTC) from which TAI - UTC grew by one more second, 1972-07-01 onwards. */
const leaps = [
  78796800, 94694400, 126230400, 157766400, 189302400, 220924800, 252460800, 283996800, 315532800, 362793600, 394329600,
  425865600, 489024000, 567993600, 631152000, 662688000, 709948800, 741484800, 773020800, 820454400, 867715200,
  915148800, 1136073600, 1230768000, 1341100800, 1435708800, 1483228800,
];

/** TAI64 label offset: 2^62, kept as its upper 32 bits. */
const labelHigh = 0x40000000;

export interface Stamp {
  /** Unix seconds (UTC). */
  seconds: number;
  nanoseconds: number;
}

/** Converts a TAI64 label (upper and lower 32 bits) and nanoseconds. */
export function fromTai(high: number, low: number, nanoseconds: number): Stamp {
  const tai = (high - labelHigh) * 0x100000000 + low;
  let offset = 10 + leaps.length;
  while (offset > 10 && tai - offset < leaps[offset - 11]) offset--;
  return { seconds: tai - offset, nanoseconds };
}

/** Parses `@` followed by 24 hex digits; null when `text` does not start with one. */
export function parseTai64n(text: string): Stamp | null {
  if (!/^@[0-9a-f]{24}/.test(text)) return null;
  const hex = (from: number): number => parseInt(text.slice(from, from + 8), 16);
  return fromTai(hex(1), hex(9), hex(17));
}

/** Reads the 12-byte binary form at `at`. */
export function readTai64n(bytes: Uint8Array, at: number): Stamp {
  if (at < 0 || at + 12 > bytes.length)
    throw new Error(`a TAI64N stamp at byte ${at} needs 12 bytes, there are ${Math.max(0, bytes.length - at)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 12);
  return fromTai(view.getUint32(0), view.getUint32(4), view.getUint32(8));
}

const two = (n: number): string => String(n).padStart(2, "0");

/** `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` in UTC, as s6-tai64nlocal prints it with TZ=UTC. */
export function formatStamp(s: Stamp): string {
  const d = new Date(s.seconds * 1000);
  const date = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
  return `${date} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(s.nanoseconds).padStart(9, "0")}`;
}
