// `npm run image` for an emulated device, booted: the router comes up to a login prompt, and
// every service of its default set is up.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { Vm } from "../lib/vm.ts";

const out = mkdtempSync(join(tmpdir(), "limen-image-"));
const vms: Vm[] = [];
afterAll(async () => {
  for (const vm of vms) await vm.stop();
  rmSync(out, { recursive: true, force: true });
});

describe.each(["qemu-aarch64", "qemu-armv7l", "qemu-mipsel"])("%s running hello-from-qemu", { timeout: 900_000 }, (device) => {
  it("boots to a login and brings up every default service", async () => {
    const result = join(out, device);
    const { system } = await buildImage({ device, config: "examples/hello-from-qemu.ts", out: result, progress: () => {} });
    // each test's networks get their own multicast ports, so parallel runs do not meet
    const vm = new Vm(result, ["--access", "230.0.0.1:23401", "--lan", "230.0.0.1:23402"]);
    vms.push(vm);
    await vm.start();
    await vm.waitFor(/hello login: $/m, 300_000);
    vm.send("root\n");
    await vm.waitFor(/Password: $/m, 30_000);
    vm.send("secret\n");
    await vm.waitFor(/# /, 30_000);
    let up: string[] = [];
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 2000))) {
      up = (await vm.run("svc list")).trim().split("\n").map((l) => l.trim()).filter(Boolean);
      if (system.defaultServices.every((s) => up.includes(s))) break;
    }
    expect(up.sort()).toEqual(expect.arrayContaining([...system.defaultServices].sort()));
    expect((await vm.run("cat /proc/1/comm")).trim()).toBe("s6-svscan");
    expect((await vm.run("hostname")).trim()).toBe("hello");
  });
});
