// The corpus of bad configurations (refused-corpus.ts), each refused in one line naming the option
// and the file:line that set it; and the good neighbours of some, accepted.
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig } from "../../image/config/module.ts";
import { sh } from "../../image/config/shell.ts";
import { longrun, outputRef } from "../../image/config/service.ts";
import { checkDatabase, databaseVersion } from "../../runtime/src/svc/database.ts";
import network from "../../services/network/index.ts";
import secrets from "../../services/secrets/index.ts";
import ssh from "../../services/ssh/index.ts";
import { testDevice, testKeys } from "./fixtures.ts";
import { corpus, edKey, hash, judge, removeScratch } from "./refused-corpus.ts";
import { serviceEntry } from "../engine/service-entry.ts";

afterAll(removeScratch);

describe("bad configurations are refused, naming the option and the file", () => {
  it.each(corpus)("$what", async (bad) => {
    expect(await judge(bad)).toEqual([]);
  });
});

describe("their good neighbours are accepted", () => {
  it("locks, hashes of several kinds, an empty password where passwordless says so, keys with tabs", () => {
    const sys = compile(
      evaluate(
        defineConfig({
          users: {
            root: { passwd: "*", openssh: { authorizedKeys: { keys: [edKey.replace(" ", "\t"), testKeys[1]] } } },
            a: { uid: 1, gid: 0, passwd: `!${hash}` },
            b: { uid: 2, gid: 0, passwd: "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7" },
            c: { uid: 3, gid: 0, passwd: "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy" },
            d: { uid: 4, gid: 0, passwd: "", passwordless: true, shell: "/bin/false" },
          },
        }),
        testDevice,
      ),
    );
    const shadow = sys.files.find((f) => f.path === "/etc/shadow");
    expect(shadow?.type === "file" && shadow.content).toContain("\nd::1::::::\n");
  });
});

describe("output references made in the service", () => {
  it("are recorded when a plain longrun's script is a function, with a dependency", () => {
    const lan = network.svc.link.build({ ifname: "eth0" });
    const dhcp = longrun({ name: "dhcp", run: () => sh`exec udhcpc -i ${outputRef(lan, "ifname")}` });
    const sys = compile(evaluate(defineConfig({ imports: [network], services: { lan, dhcp } }), testDevice));
    expect(sys.database.services["dhcp"]).toMatchObject({
      dependencies: ["eth0.link"],
      outputRefs: [{ service: "eth0.link", path: "ifname" }],
    });
  });
});

describe("plain http where the configuration accepts it", () => {
  it("takes credentials, ssh keys and the host key from an outboard with insecure: true", () => {
    const vault = secrets.svc.outboard.build({
      name: "vault",
      url: "http://vault/r.json",
      username: "r",
      password: "p",
      insecure: true,
    });
    const keys = outputRef(vault, "ssh/keys");
    const hostKey = outputRef(vault, "ssh/host_key");
    const sshd = ssh.svc.ssh.build({ hostKey, authorizedKeys: { root: { home: "/home/root", keys } } });
    const sys = compile(evaluate(defineConfig({ imports: [secrets, ssh], services: { vault, sshd } }), testDevice));
    expect(sys.database.services["sshd"].outputRefs).toEqual([
      { service: "vault", path: "ssh/keys" },
      { service: "vault", path: "ssh/host_key" },
    ]);
  });
});

describe("the device's database check", () => {
  it.each([".", "-f", "s6-svscan-log", "limen-boot", "limen-rescue"])(
    "refuses a service named %j as the compiler does",
    (name) => {
      const entry = serviceEntry({ type: "oneshot" });
      expect(() => checkDatabase({ version: databaseVersion, services: { [name]: entry } }, "services.json")).toThrow(
        /^service database: services\.json: services\..*: a service name may not start with \. or -$|is the name of init's own service in the scan directory$/,
      );
    },
  );
});
