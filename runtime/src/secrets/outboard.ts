// secrets.outboard on the device: fetches a JSON document of secrets over HTTP(S) every interval
// and publishes it as the service's outputs (./publish.ts). A failure (server down, HTTP error,
// certificate refused, malformed JSON) logs one line and leaves the last good secrets in place;
// the next try comes sooner (doubling from retryMs up to the interval). The service reports
// ready once the first document is published. Lines name the URL, never credentials or values.
import * as std from "qjs:std";
import type { TlsOptions } from "limen:native";
import { get, parseUrl } from "../lib/http";
import { readBytes } from "../lib/fs";
import { decode } from "../lib/utf8";
import { checkSecrets, publishSecrets } from "./publish";
import { refreshForever } from "./refresh";

/** The instance's configuration file, written by the template (services/secrets/outboard.ts). */
export interface OutboardConfig {
  service: string;
  url: string;
  intervalMs: number;
  retryMs: number;
  timeoutMs: number;
  maxBytes: number;
  username: string | null;
  password: string | null;
  /** PEM files on the device: the CA bundle (https), and an optional client certificate and key. */
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  /** s6 notification fd: a line there says the first secrets are published. */
  readyFd: number | null;
}

function fail(where: string, what: string): never {
  throw new Error(`${where}: ${what}`);
}

export function checkConfig(raw: unknown, source: string): OutboardConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(source, "is not a JSON object");
  const c = raw as Record<string, unknown>;
  const known = [
    "service",
    "url",
    "intervalMs",
    "retryMs",
    "timeoutMs",
    "maxBytes",
    "username",
    "password",
    "caFile",
    "certFile",
    "keyFile",
    "readyFd",
  ];
  for (const k of Object.keys(c)) if (!known.includes(k)) fail(`${source}: ${k}`, "is not a setting");
  const text = (k: string, nullable: boolean): void => {
    if (!(typeof c[k] === "string" && c[k] !== "") && !(nullable && c[k] === null))
      fail(`${source}: ${k}`, nullable ? "must be a string or null" : "must be a non-empty string");
  };
  const count = (k: string, min: number, nullable = false): void => {
    if (!(typeof c[k] === "number" && Number.isInteger(c[k]) && c[k] >= min) && !(nullable && c[k] === null))
      fail(`${source}: ${k}`, `must be an integer from ${min}${nullable ? ", or null" : ""}`);
  };
  text("service", false);
  text("url", false);
  for (const k of ["username", "password", "caFile", "certFile", "keyFile"]) text(k, true);
  count("intervalMs", 1);
  count("retryMs", 1);
  count("timeoutMs", 1);
  count("maxBytes", 1);
  count("readyFd", 3, true);
  const config = c as unknown as OutboardConfig;
  try {
    if (parseUrl(config.url).scheme === "https" && config.caFile === null)
      fail(`${source}: caFile`, "is needed for an https URL");
  } catch (e) {
    fail(`${source}: url`, e instanceof Error ? e.message : String(e));
  }
  if ((config.certFile === null) !== (config.keyFile === null)) fail(`${source}: certFile, keyFile`, "go together");
  return config;
}

function readText(path: string, what: string): string {
  const bytes = readBytes(path);
  if (bytes === null) throw new Error(`${what} ${path} does not exist`);
  return decode(bytes);
}

const reasons: Record<number, string> = {
  401: "the server wants other credentials",
  403: "the server refuses these credentials",
  404: "no such document on the server",
};

/** One fetch and publication; the line to log. Throws with the reason when it fails. */
export function fetchOnce(c: OutboardConfig): string {
  let tls: TlsOptions | undefined;
  if (c.caFile !== null) {
    tls = { ca: readText(c.caFile, "CA bundle") };
    if (c.certFile !== null && c.keyFile !== null) {
      tls.cert = readText(c.certFile, "client certificate");
      tls.key = readText(c.keyFile, "client key");
    }
  }
  const res = get(c.url, {
    tls,
    username: c.username,
    password: c.password,
    timeoutMs: c.timeoutMs,
    maxBytes: c.maxBytes,
  });
  if (res.status !== 200)
    throw new Error(`GET ${c.url}: HTTP ${res.status}${reasons[res.status] ? ` (${reasons[res.status]})` : ""}`);
  let doc: unknown;
  try {
    doc = JSON.parse(decode(res.body));
  } catch {
    // the parser's message may quote the document: it is not logged
    throw new Error(`GET ${c.url}: the body (${res.body.length} bytes) is not JSON`);
  }
  const secrets = checkSecrets(doc, c.url);
  const n = Object.keys(secrets).length;
  return publishSecrets(c.service, secrets)
    ? `published ${n} secrets from ${c.url}`
    : `unchanged: ${n} secrets from ${c.url}`;
}

export async function main(args: string[]): Promise<number> {
  if (args.length !== 1 || args[0].startsWith("-")) {
    std.err.puts(
      "usage: outboard CONFIG.json\n  fetch a secrets document and publish it as outputs, every interval (services/secrets/outboard.ts)\n",
    );
    return 100;
  }
  let c: OutboardConfig;
  try {
    const path = args[0];
    let raw: unknown;
    try {
      raw = JSON.parse(readText(path, "configuration"));
    } catch (e) {
      throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    c = checkConfig(raw, path);
  } catch (e) {
    std.err.puts(`outboard: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  return refreshForever(() => {
    const line = fetchOnce(c);
    return line.startsWith("published") ? line : null;
  }, c);
}
