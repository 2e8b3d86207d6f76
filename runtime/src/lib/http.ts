// A small HTTP/1.1 client for the device: GET (and POST) over TCP or TLS, optional Basic authentication,
// bodies framed by Content-Length, chunked transfer coding or the end of the connection. One
// deadline bounds the whole exchange; sizes are capped so a wrong server cannot exhaust memory.
import type { TlsOptions } from "limen:native";
import { base64Encode } from "./base64";
import { decode, encode } from "./utf8";
import { connect, type Connection } from "./tls";
import { concat } from "./bytes";

export interface Url {
  scheme: "http" | "https";
  host: string;
  port: number;
  /** Path and query, starting with "/". */
  target: string;
}

/** Parses an http:// or https:// URL; the error says what is wrong. */
export function parseUrl(url: string): Url {
  const m = /^(https?):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(\/[^\s#]*)?$/.exec(url);
  if (!m)
    throw new Error(
      `URL "${url}" is not http(s)://host[:port][/path] (user names in URLs are not supported: use username and password)`,
    );
  const scheme = m[1] as Url["scheme"];
  const port = m[3] === undefined ? (scheme === "https" ? 443 : 80) : Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`URL "${url}": port ${port} is not 1 to 65535`);
  return { scheme, host: m[2].replace(/^\[|\]$/g, ""), port, target: m[4] ?? "/" };
}

export interface GetOptions {
  /** For https:// URLs: the CA bundle, and a client certificate if the server asks for one. */
  tls?: TlsOptions;
  username?: string | null;
  password?: string | null;
  timeoutMs: number;
  /** Largest body accepted. */
  maxBytes: number;
}

export interface RequestOptions extends GetOptions {
  /** Sent with its Content-Type and Content-Length. */
  body?: { bytes: Uint8Array; type: string };
  /** The media type asked for (application/json unless said). */
  accept?: string;
}

export interface Response {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Uint8Array;
}

const maxHeader = 16384;

/** Where a response's bytes come from: a connection, or plain bytes in the fuzz tests. */
export type ByteSource = Pick<Connection, "read">;

/** Buffered reading from a connection against one deadline. */
class Reader {
  private buf: Uint8Array = new Uint8Array(0);
  private ended = false;

  constructor(
    private readonly conn: ByteSource,
    private readonly deadline: number,
  ) {}

  private fill(): boolean {
    if (this.ended) return false;
    const left = this.deadline - Date.now();
    if (left <= 0) throw new Error("timed out");
    const got = this.conn.read(16384, left);
    if (got.length === 0) this.ended = true;
    else this.buf = concat([this.buf, got]);
    return got.length > 0;
  }

  /** Bytes up to and without `\r\n`; null when the stream ends first. */
  line(limit: number): string | null {
    for (;;) {
      const at = this.buf.findIndex((b, i) => b === 13 && this.buf[i + 1] === 10);
      if (at >= 0) {
        const text = decode(this.buf.subarray(0, at));
        this.buf = this.buf.subarray(at + 2);
        return text;
      }
      if (this.buf.length > limit) throw new Error(`a header or chunk line is longer than ${limit} bytes`);
      if (!this.fill()) return null;
    }
  }

  exactly(n: number): Uint8Array {
    while (this.buf.length < n)
      if (!this.fill()) throw new Error(`the connection ended ${n - this.buf.length} bytes before the end of the body`);
    const out = this.buf.slice(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  rest(max: number): Uint8Array {
    while (this.fill()) if (this.buf.length > max) throw new Error(`the body is larger than ${max} bytes`);
    return this.buf;
  }
}

function chunked(r: Reader, max: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const line = r.line(1024);
    const size = line === null ? NaN : parseInt(line.split(";")[0].trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
    if (size === 0) break;
    total += size;
    if (total > max) throw new Error(`the body is larger than ${max} bytes`);
    parts.push(r.exactly(size));
    if (r.line(2) !== "") throw new Error("a chunk does not end with CRLF");
  }
  // trailer fields, then the empty line
  for (let l = r.line(maxHeader); l !== null && l !== ""; l = r.line(maxHeader));
  return concat(parts);
}

/** GET a URL. Throws an Error naming the URL and what failed (connection, TLS, timeout, framing). */
export function get(url: string, options: GetOptions): Response {
  return request("GET", url, options);
}

/** One HTTP exchange; errors name the method, the URL and what failed. */
export function request(method: "GET" | "POST", url: string, options: RequestOptions): Response {
  const deadline = Date.now() + options.timeoutMs;
  try {
    const u = parseUrl(url);
    if (u.scheme === "https" && !options.tls) throw new Error("https needs a CA bundle");
    const headers = [
      `${method} ${u.target} HTTP/1.1`,
      `Host: ${u.host.includes(":") ? `[${u.host}]` : u.host}${u.port === (u.scheme === "https" ? 443 : 80) ? "" : `:${u.port}`}`,
      "Connection: close",
      `Accept: ${options.accept ?? "application/json"}`,
    ];
    if (options.username != null)
      headers.push(`Authorization: Basic ${base64Encode(encode(`${options.username}:${options.password ?? ""}`))}`);
    if (options.body)
      headers.push(`Content-Type: ${options.body.type}`, `Content-Length: ${options.body.bytes.length}`);
    const conn = connect(u.host, u.port, options.timeoutMs, u.scheme === "https" ? options.tls : undefined);
    try {
      const head = encode(headers.join("\r\n") + "\r\n\r\n");
      conn.write(options.body ? concat([head, options.body.bytes]) : head, Math.max(1, deadline - Date.now()));
      return readResponse(conn, deadline, options.maxBytes);
    } finally {
      conn.close();
    }
  } catch (e) {
    throw new Error(`${method} ${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Reads one response (status line, headers, body framed as they say) before `deadline`. */
export function readResponse(source: ByteSource, deadline: number, maxBytes: number): Response {
  const r = new Reader(source, deadline);
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(r.line(maxHeader) ?? "");
  if (!status) throw new Error("the server's answer is not HTTP/1.x");
  const fields: Record<string, string> = {};
  for (let l = r.line(maxHeader); l !== ""; l = r.line(maxHeader)) {
    if (l === null) throw new Error("the connection ended inside the headers");
    const colon = l.indexOf(":");
    if (colon <= 0) throw new Error(`bad header line ${JSON.stringify(l)}`);
    fields[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
  }
  const length = fields["content-length"];
  let body: Uint8Array;
  if (/chunked/i.test(fields["transfer-encoding"] ?? "")) body = chunked(r, maxBytes);
  else if (length !== undefined) {
    if (!/^\d+$/.test(length)) throw new Error(`bad Content-Length ${JSON.stringify(length)}`);
    if (Number(length) > maxBytes) throw new Error(`the body is larger than ${maxBytes} bytes`);
    body = r.exactly(Number(length));
  } else body = r.rest(maxBytes);
  return { status: Number(status[1]), headers: fields, body };
}
