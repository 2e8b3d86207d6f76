// Debian's Tang server on 127.0.0.1 for tests: tangd answers one HTTP exchange on its standard
// input and output (systemd's socket activation), so a small listener starts one per connection.
// The listener is a child process: the tests block their own event loop in spawnSync (svc).
// Keys are made by tangd-keygen; files are encrypted by Debian's clevis.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ensureCommands } from "../../image/lib/host-programs.ts";

const tangd = "/usr/libexec/tangd";
const keygen = "/usr/libexec/tangd-keygen";

// argv: tangd, keys directory, port (0: any); prints the port once listening
const listener = `
const { createServer } = require("node:net");
const { spawn } = require("node:child_process");
const [tangd, keys, port] = process.argv.slice(1);
const server = createServer((conn) => {
  const child = spawn(tangd, [keys], { stdio: ["pipe", "pipe", "ignore"] });
  conn.pipe(child.stdin);
  child.stdout.pipe(conn);
  child.on("exit", () => conn.end());
  conn.on("error", () => child.kill());
  child.stdin.on("error", () => {});
});
server.listen(Number(port), "127.0.0.1", () => console.log(server.address().port));
`;

export class TangServer {
  readonly dir = mkdtempSync(join(tmpdir(), "limen-tang-"));
  readonly keys = join(this.dir, "keys");
  private child: ChildProcess | null = null;
  port = 0;

  constructor() {
    ensureCommands([tangd, keygen, "clevis", "jose"]);
    this.newKeys();
  }

  /** Replaces the server's keys with new ones (files made with the old ones no longer decrypt). */
  newKeys(): void {
    rmSync(this.keys, { recursive: true, force: true });
    mkdirSync(this.keys);
    execFileSync(keygen, [this.keys]);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again on the same port after a stop). */
  async start(): Promise<void> {
    const child = spawn(process.execPath, ["-e", listener, tangd, this.keys, String(this.port)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.child = child;
    const line = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    if (line.done) throw new Error("the Tang listener ended before listening");
    this.port = Number(line.value);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((r) => child.on("exit", r));
    child.kill();
    await gone;
  }

  /** `clevis encrypt tang` of `text` for this server, trusting its advertisement. */
  encrypt(text: string): string {
    return execFileSync("clevis", ["encrypt", "tang", JSON.stringify({ url: this.url }), "-y"], {
      input: text,
      encoding: "utf8",
    });
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
