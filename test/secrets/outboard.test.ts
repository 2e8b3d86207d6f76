// secrets.outboard on the host runtime (the x86_64 limen) against real servers on 127.0.0.1:
// Node's https (and http) server with a test CA made by openssl, Basic authentication on and
// off, a client certificate, and every failure the service must survive with its last good
// secrets in place. One case runs it under real s6 through svc, as a template would.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryPath, targets, type Target } from "../lib/runtime.ts";
import { Bed } from "../svc/bed.ts";
import { layout } from "../../runtime/src/layout.ts";
import { TestPki } from "../lib/pki.ts";
import { settle } from "../lib/until.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-outboard-"));
const file = (name: string): string => join(dir, name);

/** What the vault answers; tests change it between fetches. */
interface Behaviour {
  status: number;
  body: string;
  /** "user:password" that Basic authentication must carry, or null for none. */
  auth: string | null;
  /** Refuse (403) a client without a certificate signed by the test CA. */
  clientCert: boolean;
  chunked: boolean;
}
const initial: Behaviour = { status: 200, body: "{}", auth: null, clientCert: false, chunked: false };
let behaviour: Behaviour = { ...initial };
const seen: { authorization: string | undefined; clientCn: string | null }[] = [];

function answer(req: IncomingMessage, res: ServerResponse): void {
  const tls = req.socket as TLSSocket;
  const peer = typeof tls.getPeerCertificate === "function" ? tls.getPeerCertificate() : null;
  seen.push({
    authorization: req.headers.authorization,
    clientCn: peer && peer.subject ? String(peer.subject.CN) : null,
  });
  if (
    behaviour.auth !== null &&
    req.headers.authorization !== `Basic ${Buffer.from(behaviour.auth).toString("base64")}`
  ) {
    res.writeHead(401, { "WWW-Authenticate": 'Basic realm="vault"' }).end("who are you?");
  } else if (behaviour.clientCert && !tls.authorized) {
    res.writeHead(403).end("certificate needed");
  } else if (behaviour.chunked) {
    res.writeHead(behaviour.status, { "Content-Type": "application/json" });
    const b = behaviour.body;
    res.write(b.slice(0, 5));
    setTimeout(() => res.end(b.slice(5)), 20);
  } else {
    res
      .writeHead(behaviour.status, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(behaviour.body),
      })
      .end(behaviour.body);
  }
}

let https: HttpsServer;
let http: HttpServer;
let port = 0;
const sockets = new Set<Socket>();

function listen(server: HttpsServer | HttpServer, at: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(at, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function serverContext(cert: string): {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
  requestCert: true;
  rejectUnauthorized: false;
} {
  return {
    key: readFileSync(file(`${cert}.key`)),
    cert: readFileSync(file(`${cert}.pem`)),
    ca: readFileSync(file("ca.pem")),
    requestCert: true,
    rejectUnauthorized: false,
  };
}

function startHttps(at: number): Promise<number> {
  https = createHttpsServer(serverContext("localhost"), answer);
  https.on("secureConnection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return listen(https, at);
}

async function stopHttps(): Promise<void> {
  for (const s of sockets) s.destroy();
  await new Promise((r) => https.close(r));
}

beforeAll(async () => {
  const pki = new TestPki(dir);
  pki.selfSigned("ca");
  pki.selfSigned("rogue-ca", { ec: true });
  pki.issue(
    "localhost",
    "ca",
    "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  pki.issue(
    "elsewhere",
    "ca",
    "subjectAltName=DNS:elsewhere.example\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  pki.issue(
    "impostor",
    "rogue-ca",
    "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    { ec: true },
  );
  pki.issue("router", "ca", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n", { ec: true });
  pki.issue("router-rsa", "ca", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  port = await startHttps(0);
  http = createHttpServer(answer);
  await listen(http, 0);
}, 60_000);

afterAll(async () => {
  await stopHttps().catch(() => undefined);
  await new Promise((r) => http.close(r));
  rmSync(dir, { recursive: true, force: true });
});

interface Config {
  url?: string;
  timeoutMs?: number;
  username?: string | null;
  password?: string | null;
  certFile?: string | null;
  keyFile?: string | null;
  caFile?: string | null;
  readyFd?: number | null;
}

function configFile(name: string, c: Config): string {
  const path = file(`${name}.json`);
  const full = {
    service: "secrets",
    url: `https://localhost:${port}/secrets.json`,
    intervalMs: 300,
    retryMs: 150,
    timeoutMs: 3000,
    maxBytes: 65536,
    username: null,
    password: null,
    caFile: file("ca.pem"),
    certFile: null,
    keyFile: null,
    readyFd: null,
    ...c,
  };
  writeFileSync(path, JSON.stringify(full));
  return path;
}

/** A running `limen outboard` with its own LIMEN_ROOT; its output lines as they come. */
class Outboard {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;
  private partial = "";

  constructor(
    config: string,
    t: Target = targets[0],
    readonly root = mkdtempSync(join(dir, "root-")),
  ) {
    const argv = [...(t.qemu ? [t.qemu] : []), binaryPath(t.cpu), "outboard", config];
    this.child = spawn(argv[0], argv.slice(1), {
      env: { ...process.env, LIMEN_ROOT: this.root },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const take = (d: Buffer): void => {
      const text = this.partial + d.toString();
      const parts = text.split("\n");
      this.partial = parts.pop()!;
      this.lines.push(...parts);
    };
    this.child.stdout!.on("data", take);
    this.child.stderr!.on("data", take);
  }

  get outputs(): string {
    return layout(this.root).outputsOf("secrets");
  }

  /** Every output file, keys relative to the outputs folder. */
  published(): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string, prefix: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
        else out[`${prefix}${e.name}`] = readFileSync(join(d, e.name), "utf8");
      }
    };
    if (existsSync(this.outputs)) walk(this.outputs, "");
    return out;
  }

  /** Waits for a new line matching `re` (after the first `from` lines); returns it. */
  async line(re: RegExp, from = 0, timeoutMs = 15_000): Promise<string> {
    for (const end = Date.now() + timeoutMs; Date.now() < end; await settle(25)) {
      const hit = this.lines.slice(from).find((l) => re.test(l));
      if (hit !== undefined) return hit;
    }
    throw new Error(`no line matching ${re} within ${timeoutMs} ms; lines:\n${this.lines.join("\n")}`);
  }

  stop(): void {
    this.child.kill("SIGKILL");
  }
}

const keep = /; keeping the last good secrets, next try in [\d.]+ s$/;
const doc1 = {
  ssh: { authorizedKeys: { root: ["ssh-ed25519 AAAA1 root@a", "ssh-ed25519 AAAA2 root@b"], guest: [] } },
  ppp: { username: "alice", password: "s3cret", mtu: 1492, lcp: true },
};
const doc1Outputs = {
  "ssh/authorizedKeys/root": "ssh-ed25519 AAAA1 root@a\nssh-ed25519 AAAA2 root@b\n",
  "ssh/authorizedKeys/guest": "",
  "ppp/username": "alice",
  "ppp/password": "s3cret",
  "ppp/mtu": "1492",
  "ppp/lcp": "true",
};

describe("secrets.outboard", () => {
  it("publishes the document over HTTPS (Content-Length and chunked), and over plain HTTP", async () => {
    behaviour = { ...initial, body: JSON.stringify(doc1) };
    const o = new Outboard(configFile("plain", {}));
    try {
      await o.line(/^published 6 secrets from https:\/\/localhost:\d+\/secrets\.json$/);
      expect(o.published()).toEqual(doc1Outputs);
      expect(seen.at(-1)!.authorization).toBeUndefined();
      behaviour = {
        ...behaviour,
        chunked: true,
        body: JSON.stringify({ ...doc1, ppp: { ...doc1.ppp, password: "chunked" } }),
      };
      await o.line(/^published 6 secrets/, 1);
      expect(o.published()["ppp/password"]).toBe("chunked");
    } finally {
      o.stop();
    }
    const h = new Outboard(
      configFile("http", { url: `http://localhost:${(http.address() as AddressInfo).port}/s.json`, caFile: null }),
    );
    try {
      await h.line(/^published 6 secrets from http:\/\/localhost:\d+\/s\.json$/);
      expect(h.published()["ppp/password"]).toBe("chunked");
    } finally {
      h.stop();
    }
    // files only root can read, in folders only root can enter
    const st = spawnSync("stat", ["-c", "%a", o.outputs, join(o.outputs, "ppp"), join(o.outputs, "ppp/password")], {
      encoding: "utf8",
    })
      .stdout.trim()
      .split("\n");
    expect(st).toEqual(["700", "700", "600"]);
  });

  it("sends Basic authentication and keeps the last good secrets through 401, 404, malformed JSON and a bad shape", async () => {
    behaviour = { ...initial, auth: "vault:open sesame", body: JSON.stringify(doc1) };
    const o = new Outboard(configFile("auth", { username: "vault", password: "open sesame" }));
    try {
      await o.line(/^published 6 secrets/);
      expect(seen.at(-1)!.authorization).toBe(`Basic ${Buffer.from("vault:open sesame").toString("base64")}`);
      const failures: [Partial<Behaviour>, RegExp][] = [
        [
          { auth: "vault:other" },
          /^GET https:\/\/localhost:\d+\/secrets\.json: HTTP 401 \(the server wants other credentials\)/,
        ],
        [{ status: 404 }, /: HTTP 404 \(no such document on the server\)/],
        [{ body: '{"ppp": {"username": "bob", ' }, /: the body \(28 bytes\) is not JSON; keeping/],
        [
          { body: '{"ppp": {"username": null}}' },
          /^https:\/\/localhost:\d+\/secrets\.json: ppp\.username is null: secrets are strings/,
        ],
        [{ body: "[1, 2]" }, /: the document is a list, not a JSON object/],
      ];
      for (const [change, re] of failures) {
        const from = o.lines.length;
        behaviour = { ...behaviour, ...change };
        const line = await o.line(re, from);
        expect(line).toMatch(keep);
        expect(o.published()).toEqual(doc1Outputs);
        behaviour = { ...initial, auth: "vault:open sesame", body: JSON.stringify(doc1) };
      }
      // nothing but one line per failure or publication: no traces, no secrets in the log
      expect(o.lines.filter((l) => !keep.test(l) && !/^published /.test(l))).toEqual([]);
      expect(o.lines.join("\n")).not.toMatch(/open sesame|s3cret|alice|bob|AAAA/);
    } finally {
      o.stop();
    }
  });

  it("presents a client certificate when it has one, and says so when the server needs one it lacks", async () => {
    behaviour = { ...initial, clientCert: true, body: JSON.stringify({ wifi: { psk: "from-cert" } }) };
    const without = new Outboard(configFile("nocert", {}));
    try {
      await without.line(/: HTTP 403 \(the server refuses these credentials\); keeping the last good secrets/);
      expect(without.published()).toEqual({});
    } finally {
      without.stop();
    }
    // an EC key and an RSA key
    for (const name of ["router", "router-rsa"]) {
      const o = new Outboard(
        configFile(`cert-${name}`, { certFile: file(`${name}.pem`), keyFile: file(`${name}.key`) }),
      );
      try {
        await o.line(/^published 1 secrets/);
        expect(o.published()).toEqual({ "wifi/psk": "from-cert" });
        expect(seen.at(-1)!.clientCn).toBe(name);
      } finally {
        o.stop();
      }
    }
  });

  it("refuses a certificate from another CA or for another name, survives the server going away, and picks up the next good document", async () => {
    behaviour = { ...initial, body: JSON.stringify(doc1) };
    const o = new Outboard(configFile("failures", {}));
    try {
      await o.line(/^published 6 secrets/);
      const cases: [string, RegExp][] = [
        [
          "impostor",
          /^GET https:\/\/localhost:\d+\/secrets\.json: ETLS: tls localhost: the server's certificate is not signed by the CA bundle \(BearSSL error 62\)/,
        ],
        ["elsewhere", /ETLS: tls localhost: the server's certificate is not for this host name \(BearSSL error 56\)/],
      ];
      for (const [cert, re] of cases) {
        const from = o.lines.length;
        https.setSecureContext(serverContext(cert));
        expect(await o.line(re, from)).toMatch(keep);
        expect(o.published()).toEqual(doc1Outputs);
      }
      https.setSecureContext(serverContext("localhost"));
      await stopHttps();
      const from = o.lines.length;
      expect(
        await o.line(/ECONNREFUSED: connect localhost:\d+: Connection refused; keeping the last good secrets/, from),
      ).toMatch(keep);
      expect(o.published()).toEqual(doc1Outputs);
      behaviour = { ...initial, body: JSON.stringify({ ppp: { username: "carol" } }) };
      await startHttps(port);
      await o.line(/^published 1 secrets/, from);
      expect(o.published()).toEqual({ "ppp/username": "carol" });
    } finally {
      o.stop();
    }
  });

  it("switches the whole set at once: a reader holding the folder sees one document, never a mix", async () => {
    const version = (v: number): string =>
      JSON.stringify({ k: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, `v${v}`])) });
    let n = 0;
    behaviour = { ...initial, body: version(0) };
    const o = new Outboard(configFile("atomic", {}));
    try {
      await o.line(/^published 40 secrets/);
      const flip = setInterval(() => (behaviour = { ...behaviour, body: version(++n) }), 40);
      let snapshots = 0;
      const end = Date.now() + 3000;
      while (Date.now() < end) {
        let fd: number;
        try {
          fd = openSync(join(o.outputs, "k"), "r");
        } catch {
          continue; // between the exchange and the old folder's removal
        }
        try {
          const values = Array.from({ length: 40 }, (_, i) => readFileSync(`/proc/self/fd/${fd}/key${i}`, "utf8"));
          expect(new Set(values).size).toBe(1);
          snapshots++;
        } catch (e) {
          // the old folder's files go once the new folder is in place: never a mixed read
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        } finally {
          closeSync(fd);
        }
        await settle(1);
      }
      clearInterval(flip);
      await settle(1000); // the last version published, later fetches find nothing to change
      expect(snapshots).toBeGreaterThan(20);
      expect(o.lines.filter((l) => /^published 40 secrets/.test(l)).length).toBeGreaterThan(5);
      expect(readdirSync(layout(o.root).outputs).filter((f) => f.startsWith("."))).toEqual([]);
    } finally {
      o.stop();
    }
  });

  it("keeps the last good secrets, and no part of the new ones, when /run is full", async () => {
    behaviour = { ...initial, body: JSON.stringify(doc1) };
    const root = mkdtempSync(join(dir, "full-"));
    const run = join(root, "run");
    mkdirSync(run);
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", run]).status).toBe(0);
    const o = new Outboard(configFile("full", {}), targets[0], root);
    try {
      await o.line(/^published 6 secrets/);
      // the filesystem to its last block
      spawnSync("dd", ["if=/dev/zero", `of=${join(run, "filler")}`, "bs=1k"]);
      behaviour = { ...behaviour, body: JSON.stringify({ ...doc1, ppp: { ...doc1.ppp, password: "new" } }) };
      await o.line(/No space left on device.*; keeping the last good secrets/, 1);
      expect(o.published()).toEqual(doc1Outputs);
      // no staging folder left beside the live one
      expect(readdirSync(layout(root).outputs)).toEqual(["secrets"]);
    } finally {
      o.stop();
      await settle(100);
      spawnSync("umount", [run]);
    }
  });

  it("reaches a server by an IPv6 address", async () => {
    behaviour = { ...initial, body: JSON.stringify({ v6: "yes" }) };
    const v6 = createHttpServer(answer);
    await new Promise<void>((r) => v6.listen(0, "::1", r));
    const o = new Outboard(
      configFile("v6", { url: `http://[::1]:${(v6.address() as AddressInfo).port}/s.json`, caFile: null }),
    );
    try {
      await o.line(/^published 1 secrets from http:\/\/\[::1\]:\d+\/s\.json$/);
      expect(o.published()).toEqual({ v6: "yes" });
    } finally {
      o.stop();
      v6.close();
    }
  });

  it("gives up on a server that accepts and then says nothing, within the timeout, over TCP and TLS", async () => {
    const held: Socket[] = [];
    const silent = createTcpServer((s) => held.push(s));
    const at = await listen(silent as unknown as HttpServer, 0);
    const cases: [string, RegExp][] = [
      [
        `http://localhost:${at}/s.json`,
        /^GET http:\/\/localhost:\d+\/s\.json: ETIMEDOUT: read socket: .*; keeping the last good secrets/,
      ],
      [
        `https://localhost:${at}/s.json`,
        /^GET https:\/\/localhost:\d+\/s\.json: ETIMEDOUT: tls localhost: .*; keeping the last good secrets/,
      ],
    ];
    try {
      for (const [url, re] of cases) {
        const o = new Outboard(
          configFile("silent", { url, timeoutMs: 400, caFile: url.startsWith("https") ? file("ca.pem") : null }),
        );
        try {
          const started = Date.now();
          await o.line(re);
          expect(Date.now() - started).toBeLessThan(5000);
          expect(o.published()).toEqual({});
        } finally {
          o.stop();
        }
      }
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  it("refuses a configuration it cannot use, naming the setting", () => {
    const r = spawnSync(binaryPath("x86_64"), ["outboard", configFile("bad", { caFile: null })], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^outboard: .*bad\.json: caFile: is needed for an https URL\n$/);
  });
});

// BearSSL's code differs per CPU (word size, byte order): each one completes a handshake with a
// client certificate and an RSA server, and publishes.
describe.each(targets.filter((t) => t.qemu))("secrets.outboard on $cpu", (t) => {
  it("fetches over HTTPS with a client certificate and publishes", async () => {
    behaviour = { ...initial, clientCert: true, auth: "vault:pw", body: JSON.stringify(doc1) };
    const o = new Outboard(
      configFile(`cpu-${t.cpu}`, {
        certFile: file("router.pem"),
        keyFile: file("router.key"),
        username: "vault",
        password: "pw",
      }),
      t,
    );
    try {
      await o.line(/^published 6 secrets/, 0, 60_000);
      expect(o.published()).toEqual(doc1Outputs);
      expect(seen.at(-1)!.clientCn).toBe("router");
    } finally {
      o.stop();
    }
  }, 90_000);
});

describe("secrets.outboard under s6", () => {
  let bed: Bed;
  afterAll(() => bed?.stop());

  it("is ready once the first document is published, and its outputs are readable through svc", async () => {
    behaviour = { ...initial, body: JSON.stringify(doc1) };
    const config = configFile("s6", { readyFd: 3 });
    bed = new Bed({ secrets: { type: "longrun", notificationFd: 3, run: `exec limen outboard ${config}` } });
    await bed.start();
    const started = await bed.svcAsync("start", "secrets");
    expect(started.code).toBe(0);
    expect(bed.svc("outputs", "secrets", "ppp/username").stdout.trim()).toBe("alice");
  });
});
