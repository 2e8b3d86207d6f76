// The loop of a secrets service: fetch and publish, then again every interval. A failure logs one
// line and leaves the last good secrets in place; the next try comes sooner (doubling from
// retryMs up to the interval). Readiness (an s6 notification fd) is signalled once the first
// secrets are published.
import * as os from "qjs:os";
import * as std from "qjs:std";

export interface RefreshOptions {
  intervalMs: number;
  retryMs: number;
  /** s6 notification fd: a line there says the first secrets are published. */
  readyFd: number | null;
}

export function log(line: string): void {
  std.out.puts(`${line}\n`);
  std.out.flush();
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Runs `once` forever; it publishes and returns a line to log, or null when nothing changed, or
 * throws with the reason it failed (naming the source, never a value).
 */
export async function refreshForever(
  once: () => string | null | Promise<string | null>,
  o: RefreshOptions,
): Promise<never> {
  let failures = 0;
  let readyFd = o.readyFd;
  for (;;) {
    let wait = o.intervalMs;
    try {
      const line = await once();
      if (line !== null) log(line);
      failures = 0;
      if (readyFd !== null) {
        os.write(readyFd, new Uint8Array([10]).buffer, 0, 1);
        os.close(readyFd);
        readyFd = null;
      }
    } catch (e) {
      wait = Math.min(o.intervalMs, o.retryMs * 2 ** Math.min(failures++, 20));
      log(`${e instanceof Error ? e.message : String(e)}; keeping the last good secrets, next try in ${seconds(wait)}`);
    }
    await os.sleepAsync(wait);
  }
}
