// `limen shutdown ACTION` (run by s6-svscan's signal scripts): every service down, dependents
// first, then s6-svscan told to exit. `limen finish` (s6-svscan's finish script, as PID 1):
// ends what is left and asks the kernel to restart, halt or power off.
import * as os from "qjs:os";
import * as std from "qjs:std";
import * as native from "limen:native";
import { listDir, mkdirs, writeAtomic } from "../runtime/src/lib/fs";
import { spawnAsync } from "../runtime/src/lib/process";
import { loadGraph } from "../runtime/src/svc/graph";
import { paths } from "../runtime/src/svc/paths";
import { change, lockTransitionsWithin } from "../runtime/src/svc/transitions";

type Action = "restart" | "halt" | "poweroff";
/** How long shutdown waits for a transition under way to end. */
const lockWaitMs = 10_000;
const actions: Action[] = ["restart", "halt", "poweroff"];

export async function main(args: string[]): Promise<number> {
  const [action] = args;
  if (args.length !== 1 || !actions.includes(action as Action)) {
    std.err.puts(`usage: limen shutdown ${actions.join("|")}\n`);
    return 100;
  }
  try {
    // svc's state folder is missing when init came up without its services
    mkdirs(paths.state);
    writeAtomic(paths.shutdownAction, action);
  } catch (e) {
    std.err.puts(`limen shutdown: ${e instanceof Error ? e.message : String(e)}: ${action} becomes restart\n`);
  }
  try {
    // a transition is bounded by its timeouts, but the machine goes down even if one hangs
    if ((await lockTransitionsWithin(lockWaitMs)) === null)
      std.err.puts(`limen shutdown: svc's lock still held after ${lockWaitMs / 1000} s: going down without it\n`);
    const graph = loadGraph(paths.database);
    await change(graph, "down", graph.names());
  } catch (e) {
    // a broken database must not keep the machine from going down
    std.err.puts(`limen shutdown: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  // the loggers last, so that the services' last words are kept
  const loggers = listDir(paths.scan)
    .filter((d) => !d.startsWith("."))
    .flatMap((d) => [`${paths.scan}/${d}/log`, `${paths.scan}/${d}`]);
  await Promise.all(
    loggers
      .filter((d) => listDir(d).includes("supervise"))
      .map((d) => spawnAsync(["s6-svc", "-wD", "-T", "5000", "-d", d]).exited),
  );
  return spawnAsync(["s6-svscanctl", "-t", paths.scan]).exited;
}

export function finish(): number {
  const saved = std.loadFile(paths.shutdownAction)?.trim() as Action | undefined;
  // s6-svscan ending without a shutdown (it should not) restarts the router
  const action = saved !== undefined && actions.includes(saved) ? saved : "restart";
  os.kill(-1, os.SIGTERM);
  os.sleep(1000);
  os.kill(-1, 9);
  native.sync();
  native.reboot(action);
}
