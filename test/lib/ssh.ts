// Reaching a booted router from the host: a free loopback port to forward, ssh to it with one key,
// and the host key it shows.
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface SshResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface SshOptions {
  /** A pseudo-terminal for the session even though ours is none (ssh -tt): what a person at a terminal gets. */
  pty?: boolean;
  /** Written to the session's input, which then ends. */
  input?: string;
}

/**
 * Runs `command` as root on 127.0.0.1:`port` with only `key`, never asking anything; without
 * blocking this process, which may serve the router meanwhile (a secrets server). An empty
 * command is a login shell.
 */
export function ssh(key: string, port: number, command: string, opts: SshOptions = {}): Promise<SshResult> {
  const options = ["BatchMode=yes", "StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "ConnectTimeout=10"];
  const args = ["-i", key, "-p", String(port), ...options.flatMap((o) => ["-o", o]), "-o", "IdentitiesOnly=yes"];
  return new Promise((resolve) => {
    const child = spawn("ssh", [...args, ...(opts.pty ? ["-tt"] : []), "root@127.0.0.1", command]);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The SHA256 fingerprint of a key file (public or private), as ssh-keygen -l prints it. */
export function keyFingerprint(file: string): string {
  return execFileSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" }).split(" ")[1];
}

/** The SHA256 fingerprint of the ed25519 host key sshd shows on 127.0.0.1:`port`. */
export function hostKeyFingerprint(port: number): string {
  // (its banner comment on stderr is kept for the error, when it fails)
  const scan = execFileSync("ssh-keyscan", ["-t", "ed25519", "-p", String(port), "127.0.0.1"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return execFileSync("ssh-keygen", ["-l", "-f", "-"], { input: scan, encoding: "utf8" }).split(" ")[1];
}
