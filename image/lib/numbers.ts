// Numbers as the boot loaders, device trees and image formats write them.

/** `n`'s hexadecimal digits, lower case, zero-padded to at least `width`. */
export function hexDigits(n: number, width = 0): string {
  return n.toString(16).padStart(width, "0");
}

/** `n` as U-Boot, dtc and mkimage take an address or size: 0x and lower-case hex, at least `width` digits. */
export function hex(n: number, width = 0): string {
  return `0x${hexDigits(n, width)}`;
}

/** `n` rounded up to a multiple of `to`. */
export function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
