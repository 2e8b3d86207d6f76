// A network namespace of its own for a test (ip netns): interfaces made and removed there send
// their uevents and rtnetlink messages only to listeners inside it. Needs root.
import { spawnSync } from "node:child_process";
import { ensureCommands } from "../../image/lib/host-programs.ts";

let count = 0;

export class Netns {
  readonly name = `limen-${process.pid}-${count++}`;

  constructor() {
    if (process.getuid?.() !== 0) throw new Error("network namespace tests need root (ip netns add)");
    ensureCommands(["ip"]);
    this.run("ip", "netns", "add", this.name);
  }

  /** `ip -n NAME …` inside the namespace; throws with ip's message when it fails. */
  ip(...args: string[]): void {
    this.run("ip", "-n", this.name, ...args);
  }

  /** A command line (for a run script) that runs `command` inside the namespace, with its own /sys. */
  exec(command: string): string {
    return `ip netns exec ${this.name} ${command}`;
  }

  /** Runs `argv` inside the namespace (with its own /sys) and returns its stdout. */
  inside(...argv: string[]): string {
    return this.run("ip", "netns", "exec", this.name, ...argv);
  }

  private run(...argv: string[]): string {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  delete(): void {
    spawnSync("ip", ["netns", "delete", this.name]);
  }
}
