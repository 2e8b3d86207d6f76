// The parsers the fuzzer feeds (test/engine/fuzz.ts), each with its seeds: real inputs as the
// device meets them (a Clevis file made by clevis, tangd's answer, the kernel's netlink layouts,
// databases and documents as the host writes them, s6-log lines), plus inputs that once crashed.
import { concat } from "../../runtime/src/lib/bytes";
import { base64Decode, base64Encode } from "../../runtime/src/lib/base64";
import { readResponse } from "../../runtime/src/lib/http";
import { parseLinks, parseUevent } from "../../runtime/src/lib/netlink";
import { decode, encode } from "../../runtime/src/lib/utf8";
import { ecKey, jwk, parseTangJwe, recoveryRequest } from "../../runtime/src/secrets/jwe";
import { checkConfig } from "../../runtime/src/secrets/outboard";
import { checkSecrets } from "../../runtime/src/secrets/publish";
import { checkSecretsSpec, formatValue } from "../../runtime/src/secrets/template";
import { parseGraph } from "../../runtime/src/svc/graph";
import { showLine } from "../../runtime/src/svc/log";
import { readTai64n } from "../../runtime/src/svc/tai";
import { file as tangFile, serverAnswer } from "./jwe";
import { serviceEntry } from "./service-entry";

export interface Target {
  name: string;
  seeds: Uint8Array[];
  run(input: Uint8Array): unknown;
}

/** JSON.parse as the device's readers use it: a document that is not JSON is refused by name. */
function json(input: Uint8Array): unknown {
  try {
    return JSON.parse(decode(input));
  } catch {
    throw new Error("the document is not JSON");
  }
}

const text = (s: string): Uint8Array => encode(s);
const doc = (v: unknown): Uint8Array => encode(JSON.stringify(v));

const responses = [
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 38\r\n\r\n{"wifi":{"psk":"correct horse"},"n":7}',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/jwk+json\r\n\r\n5;x=y\r\n{"kty\r\n9\r\n":"EC"}\r\n\r\n0\r\nTrailer: 1\r\n\r\n',
  "HTTP/1.0 404 Not Found\r\nServer: tangd\r\n\r\nno such key",
  'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="vault"\r\nContent-Length: 0\r\n\r\n',
];

/** Feeds bytes in reads of at most 700 (so lines and chunks cross read boundaries), then ends. */
function source(input: Uint8Array): { read(max: number): Uint8Array } {
  let at = 0;
  return {
    read(max: number): Uint8Array {
      const out = input.subarray(at, at + Math.min(max, 700));
      at += out.length;
      return out;
    },
  };
}

/** The protected header of a compact JWE, as JSON bytes; and the file with another header. */
const [tangHeader, ...tangRest] = tangFile.split(".");
const withHeader = (header: Uint8Array): string => [base64Encode(header, true), ...tangRest].join(".");

/** A Tang server's real answer to a recovery request, and that request. */
const recovery = recoveryRequest(parseTangJwe(tangFile));
const tangAnswer = doc(jwk(serverAnswer(recovery.request)));
const offCurve = doc({ ...jwk(serverAnswer(recovery.request)), x: jwk(recovery.request).y });

// ---- netlink, laid out as the kernel does: host byte order, attributes 4-aligned ----
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function nlmsg(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + ((body.length + 3) & ~3));
  const v = new DataView(out.buffer);
  v.setUint32(0, 16 + body.length, littleEndian);
  v.setUint16(4, type, littleEndian);
  v.setUint16(6, 2, littleEndian); // NLM_F_MULTI
  v.setUint32(8, 7, littleEndian);
  out.set(body, 16);
  return out;
}

function rtattr(type: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + ((value.length + 3) & ~3));
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + value.length, littleEndian);
  v.setUint16(2, type, littleEndian);
  out.set(value, 4);
  return out;
}

function link(index: number, flags: number, name: string): Uint8Array {
  const info = new Uint8Array(16);
  const v = new DataView(info.buffer);
  v.setUint16(2, 1, littleEndian); // ARPHRD_ETHER
  v.setInt32(4, index, littleEndian);
  v.setUint32(8, flags, littleEndian);
  const mtu = new Uint8Array(4);
  new DataView(mtu.buffer).setUint32(0, 1500, littleEndian);
  return concat([info, rtattr(3, text(`${name}\0`)), rtattr(4, mtu), rtattr(6, new Uint8Array(6))]);
}

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

const database = {
  version: 2,
  services: {
    dnsmasq: serviceEntry({
      type: "longrun",
      dependencies: ["lan"],
      timeoutUp: 30000,
      notificationFd: 3,
      outputs: ["ready"],
      outputRefs: [{ service: "lan", path: "address" }],
    }),
    lan: serviceEntry({ type: "oneshot", outputs: ["address", "ifname"], kernelModules: ["e1000"] }),
    wan: serviceEntry({ type: "bundle", dependencies: ["dnsmasq"], controlled: true }),
  },
};

const secrets = {
  wifi: { psk: "correct horse", ssid: "limen" },
  ssh: { authorizedKeys: { root: ["ssh-ed25519 AAAAC3Nza root@host", "ssh-rsa AAAAB3 admin"] } },
  n: 7,
  admin: true,
};

const statusRecord = Uint8Array.of(
  ...[0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0xa2, 0x2c, 0x8e, 0x6a, 0x1c],
  ...[0x40, 0, 0, 0, 0x65, 0x53, 0xf1, 0xa3, 0, 0, 0, 0],
  ...[0, 0, 0, 0, 0, 0, 4, 0xd2, 0, 0, 0x0d, 0],
);

// ---- ssh keys as a vault hands them over: authorized_keys text, and the private key file's
// structure (openssh-key-v1 as ssh-keygen -t ed25519 -N "" lays it out; made-up key bytes) ----
const authorizedKeys = text(
  "# admins\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPOhMb1odWO4GmWGNJvj0/W2XpR2WqExrUtDXYXThv6p one@test\n\n" +
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBA== two@test\n",
);
const u32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
const sshString = (...parts: Uint8Array[]): Uint8Array => {
  const body = concat(parts);
  return concat([u32(body.length), body]);
};
const edType = sshString(text("ssh-ed25519"));
const edPublic = sshString(new Uint8Array(32).fill(7));
const privateKey = concat([
  text("openssh-key-v1\0"),
  ...[sshString(text("none")), sshString(text("none")), sshString(), u32(1)],
  sshString(edType, edPublic),
  sshString(
    ...[u32(0x2a2a2a2a), u32(0x2a2a2a2a), edType, edPublic],
    sshString(new Uint8Array(32).fill(9), new Uint8Array(32).fill(7)),
    sshString(text("router")),
    Uint8Array.of(1, 2, 3, 4, 5, 6, 7),
  ),
]);
const armoured = (body: Uint8Array): string =>
  `-----BEGIN OPENSSH PRIVATE KEY-----\n${base64Encode(body)}\n-----END OPENSSH PRIVATE KEY-----\n`;

export const targets: Target[] = [
  {
    name: "http response",
    seeds: responses.map(text),
    run: (input) => readResponse(source(input), Date.now() + 1000, 4096),
  },
  {
    name: "jwe file",
    seeds: [text(tangFile)],
    // as secrets.tang does: parse, then blind the file's ephemeral key
    run: (input) => recoveryRequest(parseTangJwe(decode(input))),
  },
  {
    name: "jwe header",
    seeds: [base64Decode(tangHeader, "header")],
    run: (input) => recoveryRequest(parseTangJwe(withHeader(input))),
  },
  {
    name: "tang answer",
    // found by the fuzzer: a point off the curve came out of ecMulAdd as a RangeError
    seeds: [tangAnswer, offCurve],
    run: (input) => recovery.finish(ecKey(json(input), "the answer")),
  },
  {
    name: "netlink uevent",
    seeds: [
      text(
        "add@/devices/pci0000:00/0000:00:04.0/usb1/1-1/1-1:1.0/host0/target0:0:0/0:0:0:0/block/sda/sda1\0ACTION=add\0DEVPATH=/devices/pci0000:00/0000:00:04.0/usb1/1-1/1-1:1.0/host0/target0:0:0/0:0:0:0/block/sda/sda1\0SUBSYSTEM=block\0MAJOR=8\0MINOR=1\0DEVNAME=sda1\0DEVTYPE=partition\0PARTN=1\0PARTNAME=secrets\0SEQNUM=1234\0",
      ),
      text(
        "remove@/devices/virtual/net/wg0\0ACTION=remove\0DEVPATH=/devices/virtual/net/wg0\0SUBSYSTEM=net\0INTERFACE=wg0\0IFINDEX=5\0SEQNUM=77\0",
      ),
      concat([text("libudev\0"), new Uint8Array([0xfe, 0xed, 0xca, 0xfe, 0, 0, 0, 40])]),
    ],
    run: (input) => parseUevent(view(input)),
  },
  {
    name: "netlink links",
    seeds: [
      concat([nlmsg(16, link(1, 0x10049, "lo")), nlmsg(16, link(2, 0x11043, "eth0")), nlmsg(3, new Uint8Array(4))]),
      nlmsg(17, link(5, 0x1002, "wg0")),
      nlmsg(2, new Uint8Array(20)),
    ],
    run: (input) => parseLinks(view(input)),
  },
  {
    name: "service database",
    seeds: [doc(database)],
    run: (input) => parseGraph(decode(input), "/etc/limen/services.json"),
  },
  {
    name: "secrets document",
    seeds: [doc(secrets)],
    run: (input) => checkSecrets(json(input), "https://vault/secrets.json"),
  },
  {
    name: "outboard settings",
    seeds: [
      doc({
        service: "vault",
        url: "https://vault.example:8443/router.json",
        intervalMs: 3600000,
        retryMs: 60000,
        timeoutMs: 10000,
        maxBytes: 65536,
        username: "router",
        password: "hunter2",
        caFile: "/etc/limen/ca.pem",
        certFile: "/etc/limen/client.pem",
        keyFile: "/etc/limen/client.key",
        readyFd: 3,
      }),
    ],
    run: (input) => checkConfig(json(input), "/etc/limen/outboard/vault.json"),
  },
  {
    name: "secret file templates",
    seeds: [
      doc({
        version: 1,
        files: {
          "wpa.conf": { uid: 0, gid: 0, mode: 0o400, parts: ["psk=", { service: "vault", path: "wifi/psk" }, "\n"] },
        },
      }),
    ],
    run: (input) => checkSecretsSpec(json(input), "/etc/limen/secrets/hostapd.json"),
  },
  {
    name: "authorized keys",
    seeds: [authorizedKeys],
    run: (input) => formatValue(decode(input), "ssh-public-keys"),
  },
  {
    name: "ssh private key",
    seeds: [privateKey],
    // the structure behind the armour: mutated base64 text would mostly stop at the armour
    run: (input) => formatValue(armoured(input), "openssh-ed25519-key"),
  },
  {
    name: "svc log lines",
    seeds: [
      text(
        "@400000006553f1a22c8e6a1c sshd: Server listening on 0.0.0.0 port 22.\n@400000006553f1a3000003e8 dnsmasq started, version 2.90\nno stamp at all\n",
      ),
    ],
    // as readLog does, for everyone and for one service
    run: (input) =>
      decode(input)
        .split("\n")
        .map((l) => [showLine(l), showLine(l, "sshd")]),
  },
  {
    name: "s6 status stamp",
    // found by the fuzzer: a short record made a RangeError in DataView
    seeds: [statusRecord, statusRecord.subarray(0, 6)],
    run: (input) => readTai64n(input, 0),
  },
];

/**
 * Not a parser: an input that never returns, for the test proving that the fuzzer stops such an
 * input and names it (test/runtime/fuzz.test.ts). Only run when named.
 */
export const endlessLoop: Target = {
  name: "endless loop",
  seeds: [text("returns"), text("loop")],
  run: (input) => {
    let n = 0;
    if (decode(input) === "loop") while (n >= 0) n = (n + 1) % 7;
    return n;
  },
};
