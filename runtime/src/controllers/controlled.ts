// Keeping a controlled service up or down as an event controller wants it, through svc's own
// transitions under its lock (taken for each call only, so a controller never holds it while it
// waits for events). Calls are serialised; what is wanted while one runs is applied after it. A
// failed start is reported once and not retried until the next change (a broken service must not
// make the controller spin).
import { upTree } from "../svc/state";
import { graphWith, logger, transition } from "../svc/controller";

export class Controlled {
  private wanted = false;
  /** What was last applied; null before the first call (the state left by a previous run is unknown). */
  private applied: boolean | null = null;
  private running = false;
  /** What was last said in the log (null: nothing yet). */
  private said: boolean | null = null;
  private readonly log: (message: string) => void;
  private readonly graph;

  constructor(
    controller: string,
    readonly service: string,
  ) {
    this.log = logger(controller);
    this.graph = graphWith([service], ["longrun", "oneshot", "bundle"]);
  }

  /** Up (with what needs it, as `svc up-tree`) or down (with what needs it, as `svc stop`). */
  want(up: boolean, why: string): void {
    // said once a change: link messages come in bursts while the first transition waits for the lock
    if (up !== this.said) this.log(`${why}: ${up ? "starting" : "stopping"} ${this.service}`);
    this.said = up;
    this.wanted = up;
    void this.apply();
  }

  private async apply(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.applied !== this.wanted) {
        const up = this.wanted;
        const code = await transition(
          this.graph,
          up ? "up" : "down",
          up ? upTree(this.graph, this.service) : [this.service],
        );
        if (code !== 0) this.log(`${up ? "starting" : "stopping"} ${this.service} failed (svc status ${code})`);
        this.applied = up;
      }
    } finally {
      this.running = false;
    }
  }
}
