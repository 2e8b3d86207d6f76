// Kernel netlink for the controllers: uevents (devices coming and going) and rtnetlink link
// messages (interfaces and their flags). Messages are read when the socket is readable, so a
// controller with nothing to do sleeps in poll. Init brings links up through rtnetlink too.
import * as os from "qjs:os";
import * as std from "qjs:std";
import { NETLINK_KOBJECT_UEVENT, NETLINK_ROUTE, netlinkOpen, netlinkReceive, type NativeError } from "limen:native";
import { listDir } from "./fs";
import { decode, encode } from "./utf8";

/** Netlink messages are in the CPU's byte order. */
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Calls `onMessage` for every message from the kernel on `fd` (others are dropped) as it arrives;
 * `onOverrun` when the socket's buffer overflowed and messages were lost (the caller resyncs).
 */
export function listen(fd: number, onMessage: (data: DataView) => void, onOverrun: () => void): void {
  const buffer = new ArrayBuffer(64 * 1024);
  os.setReadHandler(fd, () => {
    for (;;) {
      let got: [number, number] | null;
      try {
        got = netlinkReceive(fd, buffer);
      } catch (e) {
        if ((e as NativeError).code !== "ENOBUFS") throw e;
        onOverrun();
        continue;
      }
      if (got === null) return;
      if (got[1] === 0) onMessage(new DataView(buffer, 0, got[0]));
    }
  });
}

// ---- uevents ----

export interface Uevent {
  action: string;
  /** Path of the device under /sys. */
  devpath: string;
  /** Every KEY=value of the event (ACTION, DEVPATH, SUBSYSTEM, DEVNAME, PARTNAME, …). */
  env: Record<string, string>;
}

/** A socket receiving the kernel's uevents (multicast group 1). */
export function openUevents(): number {
  return netlinkOpen(NETLINK_KOBJECT_UEVENT, 1);
}

/** "ACTION@DEVPATH\0KEY=value\0…" into an event; null for anything else. */
export function parseUevent(data: DataView): Uevent | null {
  const fields = decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).split("\0");
  const header = fields[0] ?? "";
  const at = header.indexOf("@");
  if (at <= 0) return null;
  const env: Record<string, string> = {};
  for (const f of fields.slice(1)) {
    const eq = f.indexOf("=");
    if (eq > 0) env[f.slice(0, eq)] = f.slice(eq + 1);
  }
  const action = env.ACTION ?? header.slice(0, at);
  const devpath = env.DEVPATH ?? header.slice(at + 1);
  return { action, devpath, env: { ...env, ACTION: action, DEVPATH: devpath } };
}

export const sysfs = "/sys";

/**
 * The devices present now, as "add" events built from sysfs (each device's uevent file, its
 * subsystem link and its path): what the kernel announced before we listened. With a subsystem,
 * only that subsystem's devices are read.
 */
export function coldplug(subsystem?: string): Uevent[] {
  const dirs = (parent: string, sub: string): string[] => listDir(parent).map((n) => `${parent}/${n}${sub}`);
  const lists =
    subsystem !== undefined
      ? [`${sysfs}/class/${subsystem}`, `${sysfs}/bus/${subsystem}/devices`]
      : [...dirs(`${sysfs}/class`, ""), ...dirs(`${sysfs}/bus`, "/devices")];
  const seen = new Map<string, Uevent>();
  for (const dir of lists.flatMap((l) => dirs(l, ""))) {
    const [real, err] = os.realpath(dir);
    if (err !== 0 || !real.startsWith(`${sysfs}/`)) continue;
    const devpath = real.slice(sysfs.length);
    if (seen.has(devpath)) continue;
    const text = std.loadFile(`${real}/uevent`);
    const [link, linkErr] = os.readlink(`${real}/subsystem`);
    if (text === null || linkErr !== 0) continue; // gone meanwhile, or not a device
    const env: Record<string, string> = {
      ACTION: "add",
      DEVPATH: devpath,
      SUBSYSTEM: link.slice(link.lastIndexOf("/") + 1),
    };
    for (const line of text.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
    seen.set(devpath, { action: "add", devpath, env });
  }
  return [...seen.values()];
}

// ---- rtnetlink links ----

const RTMGRP_LINK = 1;
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const RTM_SETLINK = 19;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NLM_F_DUMP = 0x300;
const IFLA_IFNAME = 3;
const headerSize = 16;
const ifinfoSize = 16;

export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;

export interface LinkMessage {
  /** "new": the link exists with these flags (also each answer of a dump); "del": it is gone. */
  kind: "new" | "del";
  index: number;
  name: string;
  flags: number;
}

/** What one read of an rtnetlink socket held: link messages, and whether a dump ended. */
export interface LinkBatch {
  links: LinkMessage[];
  dumpDone: boolean;
}

/** A socket receiving link changes (RTMGRP_LINK). */
export function openLinks(): number {
  return netlinkOpen(NETLINK_ROUTE, RTMGRP_LINK);
}

/** The ifinfomsg of a request: which link (0: all, or the one IFLA_IFNAME names) and which of its flags to set. */
interface LinkChange {
  index: number;
  flags: number;
  change: number;
}

/** An rtnetlink link request: its header, the ifinfomsg, then `attributes`. */
function linkRequest(type: number, flags: number, seq: number, link: LinkChange, attributes: Uint8Array): ArrayBuffer {
  const bytes = new Uint8Array(headerSize + ifinfoSize + attributes.length);
  bytes.set(attributes, headerSize + ifinfoSize);
  const v = new DataView(bytes.buffer);
  v.setUint32(0, bytes.length, littleEndian);
  v.setUint16(4, type, littleEndian);
  v.setUint16(6, NLM_F_REQUEST | flags, littleEndian);
  v.setUint32(8, seq, littleEndian);
  v.setInt32(headerSize + 4, link.index, littleEndian);
  v.setUint32(headerSize + 8, link.flags, littleEndian);
  v.setUint32(headerSize + 12, link.change, littleEndian);
  return bytes.buffer;
}

function send(fd: number, message: ArrayBuffer, what: string): void {
  const n = os.write(fd, message, 0, message.byteLength);
  if (n !== message.byteLength)
    throw new Error(`rtnetlink: cannot ${what}: ${n < 0 ? std.strerror(-n) : "short write"}`);
}

/** Asks the kernel for every link; the answers arrive as "new" messages, then a dump end. */
export function requestLinks(fd: number, seq: number): void {
  const all = { index: 0, flags: 0, change: 0 };
  send(fd, linkRequest(RTM_GETLINK, NLM_F_DUMP, seq, all, new Uint8Array(0)), "ask for the links");
}

/**
 * Brings the link named `ifname` up (as `ip link set ifname up`) and waits for the kernel's answer:
 * the kernel handles a request to its rtnetlink socket within the write, so the answer is already
 * queued when write returns.
 */
export function setLinkUp(ifname: string): void {
  const name = encode(`${ifname}\0`);
  const attribute = new Uint8Array((4 + name.length + 3) & ~3);
  const header = new DataView(attribute.buffer);
  header.setUint16(0, 4 + name.length, littleEndian);
  header.setUint16(2, IFLA_IFNAME, littleEndian);
  attribute.set(name, 4);
  const fd = netlinkOpen(NETLINK_ROUTE, 0);
  try {
    // index 0: the kernel finds the link by its IFLA_IFNAME
    const up = { index: 0, flags: IFF_UP, change: IFF_UP };
    send(fd, linkRequest(RTM_SETLINK, NLM_F_ACK, 1, up, attribute), `bring ${ifname} up`);
    const buffer = new ArrayBuffer(4096);
    const got = netlinkReceive(fd, buffer);
    if (got === null) throw new Error(`rtnetlink: no answer to bringing ${ifname} up`);
    const answer = new DataView(buffer, 0, got[0]);
    if (answer.byteLength < headerSize + 4 || answer.getUint16(4, littleEndian) !== NLMSG_ERROR)
      throw new Error(`rtnetlink: no acknowledgement of bringing ${ifname} up`);
    const code = -answer.getInt32(headerSize, littleEndian);
    if (code !== 0) throw new Error(`rtnetlink: cannot bring ${ifname} up: ${std.strerror(code)}`);
  } finally {
    os.close(fd);
  }
}

function linkName(v: DataView, from: number, end: number): string {
  for (let at = from; at + 4 <= end;) {
    const len = v.getUint16(at, littleEndian);
    if (len < 4) break;
    if (v.getUint16(at + 2, littleEndian) === IFLA_IFNAME) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset + at + 4, Math.min(len, end - at) - 4);
      const nul = bytes.indexOf(0);
      return decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
    }
    at += (len + 3) & ~3;
  }
  return "";
}

/** The link messages in one datagram (several netlink messages may share one). */
export function parseLinks(v: DataView): LinkBatch {
  const batch: LinkBatch = { links: [], dumpDone: false };
  for (let at = 0; at + headerSize <= v.byteLength;) {
    const len = v.getUint32(at, littleEndian);
    const type = v.getUint16(at + 4, littleEndian);
    if (len < headerSize || at + len > v.byteLength) break;
    if (type === NLMSG_DONE) batch.dumpDone = true;
    if (type === NLMSG_ERROR) {
      const code = len >= headerSize + 4 ? -v.getInt32(at + headerSize, littleEndian) : 0;
      if (code !== 0) throw new Error(`rtnetlink: the kernel refused the request: ${std.strerror(code)}`);
    }
    if ((type === RTM_NEWLINK || type === RTM_DELLINK) && len >= headerSize + ifinfoSize) {
      const body = at + headerSize;
      batch.links.push({
        kind: type === RTM_NEWLINK ? "new" : "del",
        index: v.getInt32(body + 4, littleEndian),
        flags: v.getUint32(body + 8, littleEndian),
        name: linkName(v, body + ifinfoSize, at + len),
      });
    }
    at += (len + 3) & ~3;
  }
  return batch;
}
