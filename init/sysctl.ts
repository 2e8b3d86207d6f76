// Kernel parameters at boot: init writes each `key = value` line of /etc/limen/sysctl.conf (the
// sysctl option over the router defaults, image/config/sysctl.ts) to its file under /proc/sys,
// before any service starts. A key this kernel lacks (a feature built out, a module not loaded
// yet) or a value it refuses is a warning naming the key, never a failed boot. `limen sysctl`
// does the same again, to put back what someone changed by hand.
import * as os from "qjs:os";
import * as std from "qjs:std";
import { writeAll } from "../runtime/src/lib/process";
import { paths } from "../runtime/src/svc/paths";

const ENOENT = -2;

/** A dotted key's file under /proc/sys; a key with slashes is that path already (eth0.2's dot stays). */
function sysctlPath(key: string): string {
  return `${paths.procSys}/${key.includes("/") ? key : key.replaceAll(".", "/")}`;
}

/** Sets one parameter; the reason when the kernel would not. */
function set(key: string, value: string): string | null {
  const path = sysctlPath(key);
  // no O_CREAT: a missing key is missing, also under a test's root
  const fd = os.open(path, os.O_WRONLY | os.O_TRUNC);
  if (fd === ENOENT) return "no such key in this kernel";
  if (fd < 0) return std.strerror(-fd);
  try {
    writeAll(fd, `${value}\n`);
    return null;
  } catch (e) {
    return `value ${JSON.stringify(value)} refused (${e instanceof Error ? e.message : String(e)})`;
  } finally {
    os.close(fd);
  }
}

/** Applies the file's settings in order; each one that fails is a warning. Returns how many failed. */
export function applySysctl(warn: (message: string) => void): number {
  const text = std.loadFile(paths.sysctl);
  if (text === null) return 0;
  let failed = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    const key = line.slice(0, Math.max(eq, 0)).trim();
    const value = line.slice(eq + 1).trim();
    // an empty segment (a..b, net/../x) would name another file
    if (eq < 0 || value === "" || key.split(/[./]/).includes("")) {
      failed++;
      warn(`${paths.sysctl}:${i + 1}: not a "key = value" line: ${line}`);
      return;
    }
    const problem = set(key, value);
    if (problem === null) return;
    failed++;
    warn(`${key}: ${problem}`);
  });
  return failed;
}

/** `limen sysctl`: sets the configured kernel parameters again; exit 1 when one could not be set. */
export function main(args: string[]): number {
  if (args.length > 0) {
    std.err.puts("usage: limen sysctl (sets the kernel parameters of /etc/limen/sysctl.conf)\n");
    return 100;
  }
  return applySysctl((m) => std.err.puts(`sysctl: ${m}\n`)) === 0 ? 0 : 1;
}
