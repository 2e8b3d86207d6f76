// The runtime on real kernels: each emulated device boots a Debian kernel into an initramfs
// holding busybox and limen, runs `limen selftest` and the engine tests, and powers off.
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { loadDevice } from "../../image/config/load.ts";
import { projectRoot } from "../../image/lib/cache.ts";
import { Guest, guestCommand } from "../../image/qemu/vm.ts";
import { binaryPath } from "../lib/runtime.ts";
import { busyboxGuest } from "../../image/qemu/busybox-guest.ts";

const devices = [
  { device: "qemu-aarch64", cpu: "aarch64" },
  { device: "qemu-armv7l", cpu: "armv7" },
  { device: "qemu-mipsel", cpu: "mipsel" },
] as const;

let guest: Guest | undefined;
const scratch = mkdtempSync(join(tmpdir(), "limen-boot-"));
afterEach(async () => {
  await guest?.stop();
  guest = undefined;
});

describe.each(devices)("$device boots and runs the runtime", { timeout: 600_000 }, ({ device, cpu }) => {
  it("passes limen selftest and the engine tests under a real kernel", async () => {
    const emulator = (await loadDevice(device)).emulator!;
    const initrd = join(scratch, `${device}.cpio.gz`);
    const kernel = await busyboxGuest(
      emulator,
      initrd,
      [
        "echo LIMEN-MODULES=$(cut -d' ' -f1 /proc/modules | sort | tr '\\n' ,)",
        "/bin/limen --version",
        "/bin/limen selftest; echo LIMEN-SELFTEST-EXIT=$?",
        // the engine's network cases connect to 127.0.0.1, which needs loopback up
        "ip link set lo up",
        "/bin/limen-test; echo LIMEN-ENGINE-EXIT=$?",
      ],
      [
        { type: "file", path: "/bin/limen", mode: 0o755, uid: 0, gid: 0, content: { hostPath: binaryPath(cpu) } },
        {
          type: "file",
          path: "/bin/limen-test",
          mode: 0o755,
          uid: 0,
          gid: 0,
          content: { hostPath: join(projectRoot, "build", "test", `limen-test-${cpu}`) },
        },
      ],
    );
    guest = new Guest(guestCommand(emulator, kernel, initrd));
    const modules = await guest.waitFor(/LIMEN-MODULES=(\S*)\r?\n/, 300_000);
    for (const m of kernel.modules) expect(modules[1].split(",")).toContain(m.name);
    expect((await guest.waitFor(/^limen \S+ \(QuickJS-ng [\d.]+, (\w+)\)/m, 60_000))[1]).toBe(cpu);
    const selftest = await guest.waitFor(/LIMEN-SELFTEST-EXIT=(\d+)\r?\n/, 120_000);
    expect(guest.console).toContain("selftest passed");
    expect(selftest[1]).toBe("0");
    const engine = await guest.waitFor(/LIMEN-ENGINE-EXIT=(\d+)\r?\n/, 120_000);
    expect(guest.console).not.toMatch(/^FAIL /m);
    expect(engine[1]).toBe("0");
  });
});

process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
