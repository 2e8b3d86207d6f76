// Services as values: controlled services, output references, bundles and templates.
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { ConfigError } from "../../image/config/errors.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import {
  bundle,
  defineConfig,
  defineModule,
  longrun,
  oneshot,
  outputRef,
  replaceable,
  template,
  z,
} from "../../image/config/index.ts";
import network from "../../services/network/index.ts";
import { testDevice } from "./fixtures.ts";
import { layout } from "../../runtime/src/layout.ts";

const onDevice = layout("");

describe("controlled services", () => {
  it("leave the default set with everything that depends on them, but stay in the database", () => {
    const usb = oneshot({ name: "mount-usb", up: "mount /dev/sda1 /mnt", controlled: true });
    const backup = longrun({ name: "backup", run: "exec backupd", dependencies: [usb] });
    const watcher = longrun({ name: "usb-watcher", run: "exec watch-usb", controls: [usb] });
    const web = longrun({ name: "web", run: "exec httpd -f" });
    const sys = compile(evaluate(defineConfig({ services: { backup, watcher, web } }), testDevice));
    expect(Object.keys(sys.database.services).sort()).toEqual(["backup", "mount-usb", "usb-watcher", "web"]);
    expect(sys.database.services["mount-usb"].controlled).toBe(true);
    expect(sys.database.services["backup"].dependencies).toEqual(["mount-usb"]);
    expect(sys.defaultServices.sort()).toEqual(["usb-watcher", "web"]);
    // a service built without a template records only where it was built
    expect(sys.services["web"].origin).toMatch(/^test\/config\/services\.test\.ts:\d+$/);
    expect(sys.services["web"].templates).toEqual([]);
  });

  it("a controller's controlled service joins the system without being its dependency", () => {
    const usb = oneshot({ name: "mount-usb", up: "mount /dev/sda1 /mnt", controlled: true });
    const sys = compile(
      evaluate(
        defineConfig({ services: { watcher: longrun({ name: "watcher", run: "exec w", controls: [usb] }) } }),
        testDevice,
      ),
    );
    expect(sys.database.services["watcher"].dependencies).toEqual([]);
    expect(sys.database.services["mount-usb"]).toBeDefined();
    expect(sys.defaultServices).toEqual(["watcher"]);
  });
});

describe("after()", () => {
  it("adds dependencies to a service that others keep referring to as the same service", () => {
    const fw = oneshot({ name: "fw", up: "nft -f rules" });
    const wan = longrun({ name: "wan", run: "exec pppd", outputs: ["ifname"] });
    const route = oneshot({ name: "route", dependencies: [wan], up: "ip route add default dev ppp0" });
    expect(wan.after(fw)).toBe(wan);
    const sys = compile(evaluate(defineConfig({ services: { wan, route } }), testDevice));
    expect(sys.database.services["wan"].dependencies).toEqual(["fw"]);
    expect(sys.database.services["route"].dependencies).toEqual(["wan"]);
  });

  it("is refused once the service was built, naming where", () => {
    const wan = longrun({ name: "wan", run: "exec pppd" });
    expect(wan.name).toBe("wan");
    expect(() => wan.after(oneshot({ name: "fw", up: "true" }))).toThrow(
      /^test\/config\/services\.test\.ts:\d+: after: wan was built already .*: call after\(\) first$/,
    );
  });
});

describe("output references", () => {
  const secrets = longrun({ name: "secrets", run: "exec fetch-secrets", outputs: ["ppp"] });
  const secretive = template(
    "secretive",
    z.strictObject({
      name: z.string().default("secretive"),
      password: replaceable(z.string().min(1)),
      user: z.string(),
    }),
    (p) =>
      longrun({ name: p.name, run: `exec client ${typeof p.password === "string" ? p.password : "from-outputs"}` }),
  );
  const mod = defineModule({ name: "secretive", svc: { secretive } });

  it("are accepted by replaceable parameters and recorded with a dependency on the referenced service", () => {
    const client = secretive.build({ password: outputRef(secrets, "ppp/password"), user: "me" });
    const sys = compile(evaluate(defineConfig({ imports: [mod], services: { secrets, client } }), testDevice));
    expect(sys.database.services["secretive"].outputRefs).toEqual([{ service: "secrets", path: "ppp/password" }]);
    expect(sys.database.services["secretive"].dependencies).toEqual(["secrets"]);
  });

  it("are rejected by parameters that are not replaceable", () => {
    // @ts-expect-error user is a plain string parameter
    const client = secretive.build({ password: "literal", user: outputRef(secrets, "ppp/username") });
    const run = () => evaluate(defineConfig({ imports: [mod], services: { secrets, client } }), testDevice);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/services\.client\.user: Invalid input: expected string/);
  });

  it("rendered into a script become the service's outputRefs", () => {
    const lan = network.svc.link.build({ ifname: "eth0" });
    const wan = network.svc.link.build({ ifname: "eth1" });
    const router = longrun({ name: "upstream-gw", run: "exec true", outputs: ["address"] });
    const route = network.svc.route.build({
      interface: wan,
      target: "default",
      via: outputRef(router, "address"),
      dependencies: [lan, wan],
    });
    const sys = compile(evaluate(defineConfig({ imports: [network], services: { route, router } }), testDevice));
    const entry = sys.database.services["route.default"];
    expect(entry.outputRefs).toEqual(
      expect.arrayContaining([
        { service: "eth1.link", path: "ifname" },
        { service: "upstream-gw", path: "address" },
      ]),
    );
    expect(entry.outputRefs).toHaveLength(2);
    expect(entry.dependencies.sort()).toEqual(["eth0.link", "eth1.link", "upstream-gw"]);
    const up = sys.files.find((f) => f.path === `${onDevice.oneshot("route.default")}/up`);
    expect(up?.type === "file" && up.content).toContain(
      `ip route add default via "$(output upstream-gw address)" dev "$(output eth1.link ifname)" metric 100`,
    );
  });

  it("must have a relative path inside the outputs", () => {
    expect(() => outputRef(secrets, "../etc/shadow")).toThrow(/outputRef: path "\.\.\/etc\/shadow" must/);
    expect(() => outputRef(secrets, "/abs")).toThrow(ConfigError);
  });
});

describe("bundles and templates", () => {
  it("a bundle depends on its contents and has no scripts", () => {
    const a = oneshot({ name: "a", up: "true" });
    const b = oneshot({ name: "b", up: "true" });
    const sys = compile(
      evaluate(defineConfig({ services: { both: bundle({ name: "both", contents: [a, b] }) } }), testDevice),
    );
    expect(sys.database.services["both"]).toMatchObject({ type: "bundle", dependencies: ["a", "b"] });
    expect(sys.files.filter((f) => f.path.includes("/both"))).toEqual([]);
  });

  it("one template builds several differently configured services", () => {
    const lan = network.svc.link.build({ ifname: "eth0", mtu: 9000 });
    const wan = network.svc.link.build({ ifname: "eth1" });
    const sys = compile(evaluate(defineConfig({ imports: [network], services: { lan, wan } }), testDevice));
    const up = (n: string) => {
      const f = sys.files.find((f) => f.path === `${onDevice.oneshot(n)}/up`);
      return f?.type === "file" ? f.content : "";
    };
    expect(up("eth0.link")).toContain("ip link set dev eth0 mtu 9000");
    expect(up("eth1.link")).toMatch(/ip link set dev eth1/);
    expect(up("eth1.link")).not.toContain("mtu");
  });

  it("timeouts and readiness reach the database and the s6 directory", () => {
    const d = longrun({
      name: "d",
      run: "exec d --notify-fd 5",
      notificationFd: 5,
      timeoutUp: 5000,
      timeoutDown: 1000,
    });
    const sys = compile(evaluate(defineConfig({ services: { d } }), testDevice));
    expect(sys.database.services["d"]).toMatchObject({ notificationFd: 5, timeoutUp: 5000, timeoutDown: 1000 });
    expect(sys.files.find((f) => f.path === `${onDevice.longrun("d")}/notification-fd`)).toMatchObject({
      type: "file",
      content: "5\n",
    });
  });
});
