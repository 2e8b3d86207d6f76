// A byte stream to a server over TCP, or TLS on top of it (limen:native's tcp.c and tls.c):
// one interface for the HTTP client whichever the URL asks for. Every call blocks for at most
// its timeout.
import * as os from "qjs:os";
import * as native from "limen:native";

export interface Connection {
  /** Up to max bytes; empty at the end of the stream. */
  read(max: number, timeoutMs: number): Uint8Array;
  write(data: Uint8Array, timeoutMs: number): void;
  close(): void;
}

function buffer(data: Uint8Array): ArrayBuffer {
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

/** Connects to host:port; with `tls`, completes a TLS handshake that checks the server's certificate for host. */
export function connect(host: string, port: number, timeoutMs: number, tls?: native.TlsOptions): Connection {
  const started = Date.now();
  const fd = native.tcpConnect(host, port, timeoutMs);
  if (!tls) {
    let open = true;
    return {
      read: (max, t) => new Uint8Array(native.sockRead(fd, max, t)),
      write: (data, t) => native.sockWrite(fd, buffer(data), t),
      close: () => {
        if (open) os.close(fd);
        open = false;
      },
    };
  }
  const session = native.tlsConnect(fd, host, tls, Math.max(1, timeoutMs - (Date.now() - started)));
  return {
    read: (max, t) => new Uint8Array(native.tlsRead(session, max, t)),
    write: (data, t) => native.tlsWrite(session, buffer(data), t),
    close: () => native.tlsClose(session),
  };
}
