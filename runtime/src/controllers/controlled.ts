// Keeping a controlled service up or down as an event controller wants it, through `svc` (which
// takes the service lock, so a controller never holds it while it waits for events). Calls are
// serialised; what is wanted while one runs is applied after it. A failed start is reported once
// and not retried until the next change (a broken service must not make the controller spin).
import * as std from "qjs:std";
import { spawnAsync } from "../lib/process";

/** A line on the controller's log (stderr goes to the service's logger). */
export function say(controller: string, message: string): void {
  std.err.puts(`${controller}: ${message}\n`);
}

export class Controlled {
  private wanted = false;
  /** What was last asked of svc; null before the first call (the state left by a previous run is unknown). */
  private applied: boolean | null = null;
  private running = false;

  constructor(
    private readonly controller: string,
    readonly service: string,
  ) {}

  /** Up (with what needs it: `svc up-tree`) or down (with what needs it: `svc stop`). */
  want(up: boolean, why: string): void {
    if (up !== this.wanted || this.applied === null) say(this.controller, `${why}: ${up ? "starting" : "stopping"} ${this.service}`);
    this.wanted = up;
    void this.apply();
  }

  private async apply(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.applied !== this.wanted) {
        const up = this.wanted;
        let code: number;
        try {
          code = await spawnAsync(["svc", up ? "up-tree" : "stop", this.service]).exited;
        } catch (e) {
          // without svc the controller cannot work: end, and s6 starts it again (after a second)
          say(this.controller, `cannot run svc: ${e instanceof Error ? e.message : String(e)}`);
          std.exit(111);
        }
        if (code !== 0) say(this.controller, `svc ${up ? "up-tree" : "stop"} ${this.service} exited ${code}`);
        this.applied = up;
      }
    } finally {
      this.running = false;
    }
  }
}
