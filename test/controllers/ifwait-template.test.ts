// The ifwait template as a configuration uses it.
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, longrun } from "../../image/config/index.ts";
import ifwait from "../../services/ifwait/index.ts";
import network from "../../services/network/index.ts";
import { testDevice } from "../config/fixtures.ts";
import { layout } from "../../runtime/src/layout.ts";

const onDevice = layout("");

describe("ifwait template", () => {
  it("runs the controller on the interface service's ifname, after that service, for a controlled service", () => {
    const wan = network.svc.link.build({ ifname: "eth1" });
    const dhcp = longrun({ name: "wan.dhcp", run: "exec udhcpc -f -i eth1", controlled: true });
    const watch = ifwait.svc.ifwait.build({ interface: wan, service: dhcp, state: "running" });
    const sys = compile(evaluate(defineConfig({ imports: [ifwait, network], services: { watch } }), testDevice));
    expect(sys.defaultServices.sort()).toEqual(["eth1.link", "wan.dhcp.ifwait"]);
    expect(sys.database.services["wan.dhcp.ifwait"].dependencies).toEqual(["eth1.link"]);
    const run = sys.files.find((f) => f.path === `${onDevice.longrun("wan.dhcp.ifwait")}/run`);
    expect(run?.type === "file" && run.content).toContain(
      `exec limen ifwait --state running "$(output eth1.link ifname)" wan.dhcp\n`,
    );
  });

  it("refuses an unknown state and an uncontrolled service", () => {
    const wan = network.svc.link.build({ ifname: "eth1" });
    const evalWith = (state: string, controlled: boolean) => () => {
      const dhcp = longrun({ name: "wan.dhcp", run: "exec udhcpc -f -i eth1", controlled });
      // @ts-expect-error a state the template does not know
      const w = ifwait.svc.ifwait.build({ interface: wan, service: dhcp, state });
      return evaluate(defineConfig({ imports: [ifwait, network], services: { w } }), testDevice);
    };
    expect(evalWith("sideways", true)).toThrow(
      /services\.w\.state: Invalid option: expected one of "present"\|"up"\|"running"/,
    );
    expect(evalWith("up", false)).toThrow(/services\.w\.service: must be a controlled service/);
  });
});
