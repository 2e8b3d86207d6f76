// The watchdog service against the kernel's real watchdog: a router under QEMU with Linux's
// softdog (60 s timeout). Fed while the watched service runs, it outlives the timeout; once the
// watched service is stopped, feeding stops and softdog reboots the machine.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { Vm } from "../../image/qemu/vm.ts";

const out = mkdtempSync(join(tmpdir(), "limen-watchdog-"));
let vm: Vm | undefined;
afterAll(async () => {
  await vm?.stop();
  rmSync(out, { recursive: true, force: true });
});

/** softdog's default soft_margin, in seconds. */
const margin = 60;

describe("watchdog on qemu-aarch64 with softdog", { timeout: 1_200_000 }, () => {
  it("keeps the router running while the watched service is up, and reboots it once that stays down", async () => {
    await buildImage({
      device: "qemu-aarch64",
      config: "test/controllers/fixtures/watchdog-router.ts",
      out,
      progress: () => {},
    });
    vm = new Vm(out, ["--access", "230.0.0.1:23431", "--lan", "230.0.0.1:23432"]);
    await vm.start();
    await vm.login("dogged", "root", "secret");
    expect(await vm.servicesUp(["pulse", "watchdog"])).toEqual(expect.arrayContaining(["pulse", "watchdog"]));
    // (a long command line wraps on the console: compare lines)
    expect((await vm.run("cd /sys/class/watchdog/watchdog0; cat identity state")).split("\n")).toEqual(
      expect.arrayContaining(["Software Watchdog", "active"]),
    );
    const fedFrom = vm.console.length;
    // longer than softdog's timeout: only feeding keeps the router up
    await new Promise((r) => setTimeout(r, (margin + 15) * 1000));
    expect(vm.console.slice(fedFrom)).not.toMatch(/softdog: Initiating system reboot|Booting Linux/);
    expect((await vm.run("svc list")).split("\n")).toEqual(expect.arrayContaining(["pulse", "watchdog"]));

    expect((await vm.run("svc stop pulse && svc list")).split("\n")).not.toContain("pulse");
    const stoppedAt = Date.now();
    const from = vm.console.length;
    // give the feeder one interval to notice, then read what it logged
    await new Promise((r) => setTimeout(r, 5000));
    const log = String(await vm.run("svc log watchdog"));
    expect(log).toContain(`feeding /dev/watchdog (timeout ${margin * 1000} ms) every 2000 ms`);
    expect(log).toContain("not feeding: pulse down");
    await vm.waitFor(/softdog: Initiating system reboot/, (margin + 60) * 1000, from);
    const waited = (Date.now() - stoppedAt) / 1000;
    expect(waited).toBeGreaterThan(margin - 15);
    const rebooted = vm.console.length;
    await vm.waitFor(/Booting Linux/, 120_000, from);
    // and it comes up again
    await vm.waitFor(/dogged login: $/m, 600_000, rebooted);
  });
});
