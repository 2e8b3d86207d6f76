// `ifwait`: keeps a controlled service up while a network interface is in the wanted state
// (present, up, or running: up with a carrier) and stops it when it leaves that state, from the
// kernel's rtnetlink link messages; a dump of all links gives the state at start.
import * as std from "qjs:std";
import { IFF_RUNNING, IFF_UP, listen, openLinks, parseLinks, requestLinks, type LinkMessage } from "../lib/netlink";
import { UsageError } from "../svc/controller";
import { Controlled } from "./controlled";

const states = ["present", "up", "running"] as const;
type State = (typeof states)[number];

const usage = `usage: ifwait [--state present|up|running] INTERFACE SERVICE
  Keeps SERVICE (and what needs it) up while INTERFACE is in the state (default running:
  administratively up and with a carrier; up: administratively up; present: exists).`;

function inState(state: State, flags: number): boolean {
  if (state === "present") return true;
  if (state === "up") return (flags & IFF_UP) !== 0;
  return (flags & (IFF_UP | IFF_RUNNING)) === (IFF_UP | IFF_RUNNING);
}

function parse(args: string[]): { state: State; ifname: string; service: string } | string {
  let state: State = "running";
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--state") {
      const v = args[++i];
      if (!states.includes(v as State)) return `--state "${v ?? ""}" is not one of ${states.join(", ")}`;
      state = v as State;
    } else if (a.startsWith("-")) return `unknown option ${a}`;
    else rest.push(a);
  }
  const [ifname, service, ...extra] = rest;
  if (ifname === undefined || service === undefined || extra.length > 0) return "expects an interface and a service";
  if (!/^[^\s/]{1,15}$/.test(ifname))
    return `"${ifname}" is not an interface name (at most 15 characters, no / or spaces)`;
  return { state, ifname, service };
}

export async function main(args: string[]): Promise<number> {
  if (args.includes("--help")) {
    console.log(usage);
    return 0;
  }
  const parsed = parse(args);
  if (typeof parsed === "string") {
    std.err.puts(`ifwait: ${parsed}\n${usage}\n`);
    return 100;
  }
  const { state, ifname, service } = parsed;
  let controlled: Controlled;
  try {
    controlled = new Controlled(std.getenv("SERVICE") ?? "ifwait", service);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    std.err.puts(`ifwait: ${e.message}\n${usage}\n`);
    return 100;
  }
  /** The interface's index while it exists under our name (an index renamed away is gone). */
  let index: number | null = null;
  let dumping = false;
  let seenInDump = false;
  let seq = 1;

  const link = (m: LinkMessage): void => {
    if (m.name !== ifname && m.index !== index) return;
    const here = m.kind === "new" && m.name === ifname;
    index = here ? m.index : null;
    if (dumping && here) seenInDump = true;
    const ok = here && inState(state, m.flags);
    const flags = here
      ? `${(m.flags & IFF_UP) !== 0 ? "up" : "down"}${(m.flags & IFF_RUNNING) !== 0 ? ", running" : ""}`
      : "gone";
    controlled.want(ok, `${ifname} ${flags}`);
  };

  /** Asks for every link: the state at start, and again after lost messages. */
  const dump = (): void => {
    dumping = true;
    seenInDump = false;
    requestLinks(fd, seq++);
  };

  const fd = openLinks();
  listen(
    fd,
    (data) => {
      const batch = parseLinks(data);
      batch.links.forEach(link);
      if (batch.dumpDone && dumping) {
        dumping = false;
        if (!seenInDump) {
          index = null;
          controlled.want(false, `${ifname} absent`);
        }
      }
    },
    dump,
  );
  dump();
  return new Promise<number>(() => {});
}
