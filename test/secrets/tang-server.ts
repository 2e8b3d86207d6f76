// Debian's Tang server on 127.0.0.1 for tests: tangd answers one HTTP exchange on its standard
// input and output (systemd's socket activation), so a small listener here starts one per
// connection. Keys are made by tangd-keygen; files are encrypted by Debian's clevis.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureCommands } from "../../runtime/build/host-tools.ts";

const tangd = "/usr/libexec/tangd";
const keygen = "/usr/libexec/tangd-keygen";

export class TangServer {
  readonly dir = mkdtempSync(join(tmpdir(), "limen-tang-"));
  /** The keys directory tangd serves (swap it to rotate keys). */
  keys = join(this.dir, "keys");
  private server: Server | null = null;
  port = 0;

  constructor() {
    ensureCommands([[tangd, "tang"], [keygen, "tang"], ["clevis", "clevis"], ["jose", "jose"]]);
    this.newKeys();
  }

  /** Replaces the server's keys with new ones (files made with the old ones no longer decrypt). */
  newKeys(): void {
    this.keys = join(this.dir, `keys-${Date.now()}`);
    mkdirSync(this.keys);
    execFileSync(keygen, [this.keys]);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again on the same port after a stop). */
  start(): Promise<void> {
    const server = createServer((conn) => {
      const child = spawn(tangd, [this.keys], { stdio: ["pipe", "pipe", "ignore"] });
      conn.pipe(child.stdin);
      child.stdout.pipe(conn);
      child.on("exit", () => conn.end());
      conn.on("error", () => child.kill());
      child.stdin.on("error", () => {});
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        this.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** `clevis encrypt tang` of `text` for this server, trusting its advertisement. */
  encrypt(text: string): string {
    return execFileSync("clevis", ["encrypt", "tang", JSON.stringify({ url: this.url }), "-y"], { input: text, encoding: "utf8" });
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
