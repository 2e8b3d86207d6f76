// secrets.tang on the device: decrypts a Clevis/Tang JWE file (on a USB stick, say) with the
// help of the Tang server it names, and publishes the JSON document inside as the service's
// outputs, like secrets.outboard. Tried again every interval (a new file is picked up then);
// when the server is away or the file is missing or damaged, the last good secrets stay, one
// line says why, and the next try comes sooner. Lines name the file and the server, never values.
import * as std from "qjs:std";
import { readBytes } from "../lib/fs";
import { request } from "../lib/http";
import { decode, encode } from "../lib/utf8";
import { ecKey, jwk, parseTangJwe, recoveryRequest } from "./jwe";
import { checkSecrets, publishSecrets } from "./publish";
import { refreshForever } from "./refresh";

export interface TangOptions {
  service: string;
  file: string;
  timeoutMs: number;
}

/** One decryption and publication; the line to log, or null when the secrets are unchanged. */
export function decryptOnce(o: TangOptions): string | null {
  const bytes = readBytes(o.file);
  if (bytes === null) throw new Error(`${o.file} does not exist`);
  let jwe;
  try {
    jwe = parseTangJwe(decode(bytes));
  } catch (e) {
    throw new Error(`${o.file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const url = `${jwe.url.replace(/\/+$/, "")}/rec/${jwe.kid}`;
  const recovery = recoveryRequest(jwe);
  const res = request("POST", url, {
    body: { bytes: encode(JSON.stringify(jwk(recovery.request))), type: "application/jwk+json" },
    accept: "application/jwk+json",
    timeoutMs: o.timeoutMs,
    maxBytes: 16384,
  });
  if (res.status !== 200)
    throw new Error(
      `POST ${url}: HTTP ${res.status}${res.status === 404 ? " (the server no longer has the key this file was made with)" : ""}`,
    );
  let plain: Uint8Array;
  try {
    let reply: unknown;
    try {
      reply = JSON.parse(decode(res.body));
    } catch {
      throw new Error("the answer is not JSON");
    }
    plain = recovery.finish(ecKey(reply, "the answer"));
  } catch (e) {
    throw new Error(`${o.file} with ${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(decode(plain));
  } catch {
    throw new Error(`${o.file}: the decrypted document is not JSON`);
  }
  const secrets = checkSecrets(doc, o.file);
  const n = Object.keys(secrets).length;
  return publishSecrets(o.service, secrets) ? `published ${n} secrets from ${o.file} (Tang server ${jwe.url})` : null;
}

const usage = `usage: secrets tang [--interval-ms N] [--retry-ms N] [--timeout-ms N] [--ready-fd FD] SERVICE FILE
  decrypt FILE (a Clevis/Tang JWE) with its Tang server and publish the JSON inside as SERVICE's outputs, every interval`;

function count(v: string | undefined, name: string, min: number): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min)
    throw new Error(`${name} must be a whole number from ${min}`);
  return Number(v);
}

export async function main(args: string[]): Promise<number> {
  const o = { intervalMs: 3_600_000, retryMs: 10_000, timeoutMs: 10_000, readyFd: null as number | null };
  const names: string[] = [];
  if (args.includes("--help")) {
    std.out.puts(`${usage}\n`);
    return 0;
  }
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === "--interval-ms") o.intervalMs = count(args[++i], a, 1);
      else if (a === "--retry-ms") o.retryMs = count(args[++i], a, 1);
      else if (a === "--timeout-ms") o.timeoutMs = count(args[++i], a, 1);
      else if (a === "--ready-fd") o.readyFd = count(args[++i], a, 3);
      else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
      else names.push(a);
    }
    if (names.length !== 2) throw new Error("expects a service and a file");
  } catch (e) {
    std.err.puts(`secrets tang: ${e instanceof Error ? e.message : String(e)}\n${usage}\n`);
    return 100;
  }
  const [service, file] = names as [string, string];
  return refreshForever(() => decryptOnce({ service, file, timeoutMs: o.timeoutMs }), o);
}
