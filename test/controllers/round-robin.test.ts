// The round-robin template and its controller against real s6: one backend up at a time, failover
// and back when a backend's process ends, the proxy's outputs and dependents following the active
// backend, backends without outputs, and the back-off between attempts.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, longrun, oneshot, outputRef } from "../../image/config/index.ts";
import network from "../../services/network/index.ts";
import roundRobin from "../../services/round-robin/index.ts";
import { testDevice } from "../config/fixtures.ts";
import { Bed, type Fixture } from "../svc/bed.ts";
import { layout } from "../../runtime/src/layout.ts";
import { until } from "../lib/until.ts";

const onDevice = layout("");

describe("round-robin template", () => {
  it("compiles to a controlled proxy depending on a controller that controls the backends", () => {
    const ppp = longrun({ name: "ppp", run: "exec pppd", outputs: ["ifname", "gateway"] });
    const lte = longrun({ name: "lte", run: "exec lte-daemon" });
    const wan = roundRobin.svc["round-robin"].build({ name: "wan", services: [ppp, lte], minDelay: 0.5, maxDelay: 30 });
    const route = oneshot({ name: "route", up: "ip route add default via x", dependencies: [wan] });
    const dns = longrun({ name: "dns", run: "exec dnsmasq" });
    const sys = compile(evaluate(defineConfig({ imports: [roundRobin], services: { route, dns } }), testDevice));
    const db = sys.database.services;
    expect(db["wan"]).toMatchObject({
      type: "oneshot",
      controlled: true,
      dependencies: ["wan.controller"],
      outputs: ["gateway", "ifname"],
    });
    expect(db["ppp"].controlled).toBe(true);
    expect(db["lte"].controlled).toBe(true);
    expect(db["wan.controller"]).toMatchObject({ type: "longrun", controlled: false, dependencies: [] });
    expect(sys.defaultServices.sort()).toEqual(["dns", "wan.controller"]);
    const run = sys.files.find((f) => f.path === `${onDevice.longrun("wan.controller")}/run`);
    expect(run && "content" in run ? run.content : "").toContain("exec limen round-robin wan 500 30000 ppp lte");
  });

  it("lets dependents read the proxy's outputs, and refuses backends that are not longruns", () => {
    const ppp = longrun({ name: "ppp", run: "exec pppd", outputs: ["ifname", "gateway"] });
    const lte = longrun({ name: "lte", run: "exec lte" });
    const wan = roundRobin.svc["round-robin"].build({ name: "wan", services: [ppp, lte] });
    const route = network.svc.route.build({
      name: "route",
      interface: wan,
      target: "default",
      via: outputRef(wan, "gateway"),
    });
    const sys = compile(
      evaluate(defineConfig({ imports: [roundRobin, network], services: { wan, route } }), testDevice),
    );
    expect(sys.database.services["route"].dependencies).toEqual(["wan"]);
    expect(sys.database.services["route"].outputRefs).toEqual([
      { service: "wan", path: "gateway" },
      { service: "wan", path: "ifname" },
    ]);
    expect(sys.defaultServices.sort()).toEqual(["wan.controller"]);
    const once = oneshot({ name: "once", up: "true" });
    const bad = roundRobin.svc["round-robin"].build({ name: "wan2", services: [ppp, once] });
    expect(() => evaluate(defineConfig({ imports: [roundRobin], services: { bad } }), testDevice)).toThrow(
      /once is a oneshot: round-robin runs longruns/,
    );
    const slow = roundRobin.svc["round-robin"].build({ name: "wan3", services: [ppp, lte], minDelay: 10, maxDelay: 5 });
    expect(() => evaluate(defineConfig({ imports: [roundRobin], services: { slow } }), testDevice)).toThrow(
      /minDelay must not be more than maxDelay/,
    );
  });
});

let bed: Bed | null = null;
afterEach(async () => {
  await bed?.stop();
  bed = null;
});

/** A proxy "wan", its controller over `backends`, and a route (a dependent) using wan's gateway. */
function failover(backends: Record<string, Fixture>, delays = "200 1000"): Record<string, Fixture> {
  return {
    ...backends,
    wan: { type: "oneshot", controlled: true, dependencies: ["wan.controller"], up: "true" },
    "wan.controller": {
      type: "longrun",
      run: `exec limen round-robin wan ${delays} ${Object.keys(backends).join(" ")}`,
    },
    route: {
      type: "oneshot",
      dependencies: ["wan"],
      up: `echo "route via $(output wan gateway)" >> events`,
      down: `echo "route down" >> events`,
    },
  };
}

const pid = (b: Bed, name: string): number =>
  (JSON.parse(b.svc("status", "--json", name).stdout) as { pid: number }).pid;
const upList = (b: Bed): string => b.svc("list").stdout;
const routeEvents = (b: Bed): string[] => b.events().filter((e) => e.startsWith("route"));

describe("round-robin controller", () => {
  it("keeps one backend up, fails over when it exits and back again; the proxy's outputs and dependents follow", async () => {
    bed = new Bed(
      failover({
        // each is ready once its outputs are written: until then the proxy's dependents would read none
        a: {
          type: "longrun",
          controlled: true,
          notificationFd: 3,
          run: `output --set a gateway 192.0.2.1; echo "run a" >> events; echo >&3; exec sleep 1000 3>&-`,
        },
        b: {
          type: "longrun",
          controlled: true,
          notificationFd: 3,
          run: `output --set b gateway 198.51.100.1; echo "run b" >> events; echo >&3; exec sleep 1000 3>&-`,
        },
      }),
    );
    const b = bed;
    await b.start();
    expect(b.svc("boot").code).toBe(0);
    await until("route via a", () => routeEvents(b).length === 1);
    expect(routeEvents(b)).toEqual(["route via 192.0.2.1"]);
    expect(upList(b)).toBe("a\nroute\nwan\nwan.controller\n");
    expect(b.svc("outputs", "wan").stdout).toBe("gateway=192.0.2.1\n");

    process.kill(pid(b, "a"), "SIGKILL");
    await until("route via b", () => routeEvents(b).length === 3);
    expect(routeEvents(b)).toEqual(["route via 192.0.2.1", "route down", "route via 198.51.100.1"]);
    expect(upList(b)).toBe("b\nroute\nwan\nwan.controller\n");
    expect(b.svc("outputs", "wan").stdout).toBe("gateway=198.51.100.1\n");

    // the active backend's outputs change: the proxy's follow without a failover
    spawnSync("output", ["--set", "b", "gateway", "198.51.100.9"], { env: b.env });
    await until("proxy follows", () => b.svc("outputs", "wan").stdout === "gateway=198.51.100.9\n");

    process.kill(pid(b, "b"), "SIGTERM");
    await until("route via a again", () => routeEvents(b).length === 5);
    expect(routeEvents(b).slice(3)).toEqual(["route down", "route via 192.0.2.1"]);
    expect(upList(b)).toBe("a\nroute\nwan\nwan.controller\n");
  });

  it("gives the proxy's outputs the modes of the active backend's: a secret one stays its owner's alone", async () => {
    const backend = (name: string, gateway: string, secret: boolean): Fixture => {
      const dir = `"$LIMEN_ROOT"${onDevice.outputsOf(name)}`;
      const hide = secret ? `chmod 600 ${dir}/psk && chmod 700 ${dir} &&` : "";
      return {
        type: "longrun",
        controlled: true,
        notificationFd: 3,
        run: `output --set ${name} gateway ${gateway} && output --set ${name} psk hunter2 && ${hide} echo >&3; exec sleep 1000 3>&-`,
      };
    };
    // a secrets service's outputs (a folder 0700, files 0600) and an ordinary service's
    bed = new Bed(
      failover({ vault: backend("vault", "192.0.2.1", true), plain: backend("plain", "198.51.100.1", false) }),
    );
    const b = bed;
    await b.start();
    const mode = (key: string): string => (statSync(join(b.layout.outputsOf("wan"), key)).mode & 0o777).toString(8);
    expect(b.svc("boot").code).toBe(0);
    await until("route via vault", () => routeEvents(b).length === 1);
    await until("the proxy's outputs", () => b.svc("outputs", "wan").stdout === "gateway=192.0.2.1\npsk=hunter2\n");
    expect([mode("."), mode("psk"), mode("gateway")]).toEqual(["700", "600", "644"]);

    process.kill(pid(b, "vault"), "SIGKILL");
    await until("route via plain", () => routeEvents(b).length === 3);
    await until("the proxy's outputs", () => b.svc("outputs", "wan").stdout === "gateway=198.51.100.1\npsk=hunter2\n");
    expect([mode("."), mode("psk"), mode("gateway")]).toEqual(["755", "644", "644"]);
  });

  it("works for backends without outputs, and moves on from one that does not become ready", async () => {
    bed = new Bed(
      failover({
        // never ready: svc gives up on it after its timeout-up
        stuck: {
          type: "longrun",
          controlled: true,
          notificationFd: 3,
          timeoutUp: 500,
          run: `echo "run stuck" >> events; exec sleep 1000`,
        },
        plain: { type: "longrun", controlled: true, run: `echo "run plain" >> events; exec sleep 1000` },
      }),
    );
    const b = bed;
    await b.start();
    expect(b.svc("boot").code).toBe(0);
    await until("route via plain", () => routeEvents(b).length === 1);
    expect(routeEvents(b)).toEqual(["route via"]);
    expect(upList(b)).toBe("plain\nroute\nwan\nwan.controller\n");
    expect(b.svc("outputs", "wan").stdout).toBe("");
    expect(b.svc("log", "wan.controller").stdout).toContain("stuck did not come up (svc exit 2)");
  });

  it("backs off between attempts while every backend dies at once: the wait doubles up to the maximum", async () => {
    bed = new Bed(
      failover(
        {
          x: { type: "longrun", controlled: true, run: `echo "run x" >> events; exit 1` },
          y: { type: "longrun", controlled: true, run: `echo "run y" >> events; exit 1` },
        },
        "200 800",
      ),
    );
    const b = bed;
    await b.start();
    expect(b.svc("boot").code).toBe(0);
    const waits = (): number[] =>
      [...b.svc("log", "wan.controller").stdout.matchAll(/starting [xy] in (\d+) ms/g)].map((m) => Number(m[1]));
    await until("six attempts", () => waits().length >= 6);
    expect(waits().slice(0, 6)).toEqual([200, 400, 800, 800, 800, 800]);
    // one run a try (s6 may restart a backend once before the controller stopped it)
    const runs = b.events().filter((e) => e.startsWith("run")).length;
    expect(runs).toBeGreaterThanOrEqual(6);
    expect(runs).toBeLessThanOrEqual(14);
  });

  it("carries on with a backend that is up already and stops the others, also when the controller is restarted", async () => {
    bed = new Bed(
      failover({
        a: { type: "longrun", controlled: true, run: `output --set a gateway 192.0.2.1; exec sleep 1000` },
        b: { type: "longrun", controlled: true, run: `output --set b gateway 198.51.100.1; exec sleep 1000` },
      }),
    );
    const b = bed;
    await b.start();
    expect(b.svc("start", "a", "b").code).toBe(0);
    expect(b.svc("start", "wan.controller").code).toBe(0);
    await until("route via a", () => routeEvents(b).length === 1);
    expect(routeEvents(b)).toEqual(["route via 192.0.2.1"]);
    expect(upList(b)).toBe("a\nroute\nwan\nwan.controller\n");
    const backend = pid(b, "a");
    const controller = pid(b, "wan.controller");
    process.kill(controller, "SIGKILL");
    await until("a new controller", () => ![0, controller].includes(pid(b, "wan.controller")));
    await until(
      "the new controller's word",
      () => b.svc("log", "wan.controller").stdout.split("a is the active backend").length === 3,
    );
    expect(pid(b, "a")).toBe(backend);
    expect(routeEvents(b)).toEqual(["route via 192.0.2.1"]);
  });
});
