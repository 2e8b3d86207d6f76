// `secrets`: runtime secrets of services (see the usage text below).
import * as std from "qjs:std";
import { loadGraph } from "../svc/graph";
import { paths } from "../svc/paths";
import { parseAction, subscribe, type Action } from "../secrets/subscriber";
import { removeSecrets, RenderRefused, substitute } from "../secrets/substitute";

const usage = `usage: secrets COMMAND
  render SERVICE     write SERVICE's secret files from its templates and the outputs they name
  clear SERVICE      remove SERVICE's rendered secret files
  subscribe [--signal SIG] WATCHED SERVICE...
                     follow WATCHED's outputs; when one that SERVICE reads changes, restart
                     SERVICE (or send it SIG: hup, int, quit, term, usr1, usr2, alrm); runs until killed
  tang [OPTIONS] SERVICE FILE
                     decrypt a Clevis/Tang JWE file with its Tang server and publish the JSON
                     inside as SERVICE's outputs, every interval (secrets tang --help)
exit: 0 ok, 1 an output is missing or a template or subscription is bad, 2 render refused a value
  its file cannot hold (svc status NAME shows why), 100 usage`;

class Usage extends Error {}

function run(args: string[]): number | Promise<number> {
  const [command, ...rest] = args;
  if (command === "render" || command === "clear") {
    const [service, ...extra] = rest;
    if (service === undefined || service.startsWith("-") || extra.length > 0)
      throw new Usage(`${command}: expects one service name`);
    if (command === "render") substitute(service);
    else removeSecrets(service);
    return 0;
  }
  if (command === "subscribe") {
    let action: Action = "restart";
    if (rest[0] === "--signal") {
      action = parseAction(rest[1] ?? "");
      rest.splice(0, 2);
    }
    const [watched, ...services] = rest;
    if (watched === undefined || services.length === 0 || [watched, ...services].some((n) => n.startsWith("-")))
      throw new Usage("subscribe: expects a watched service and one or more services");
    subscribe(loadGraph(paths.database), { watched, services, action }, (line) => {
      std.out.puts(`${line}\n`);
      std.out.flush();
    });
    return new Promise<number>(() => {}); // runs until killed: the inotify handler keeps the event loop alive
  }
  // loaded only here: the other commands need no HTTP or crypto
  if (command === "tang") return import("../secrets/tang").then((m) => m.main(rest));
  throw new Usage(command === undefined ? "no command given" : `unknown command "${command}"`);
}

export async function main(args: string[]): Promise<number> {
  if (args.includes("--help") && args[0] !== "tang") {
    std.out.puts(`${usage}\n`);
    return 0;
  }
  try {
    return await run(args);
  } catch (e) {
    if (e instanceof Usage) {
      std.err.puts(`secrets: ${e.message}\n${usage}\n`);
      return 100;
    }
    std.err.puts(`secrets: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof RenderRefused ? 2 : 1;
  }
}
