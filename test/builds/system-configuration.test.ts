// The systemConfiguration output on every kind of device: the root tree as a folder with the
// owners, modes and zero time stamps the image writers give it, and the owners table beside it.
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage } from "../../image/build.ts";
import { layout } from "../../runtime/src/layout.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-sysconf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// the first run fetches the Debian packages of each architecture
const cases = [
  { device: "belkin-rt3200", config: "examples/rotuer.ts" },
  { device: "gl-mt300n-v2", config: "examples/rotuer.ts" },
  { device: "qemu-armv7l", config: "test/qemu/fixtures/tftp-router.ts" },
];
describe.each(cases)("systemConfiguration of $config for $device", { timeout: 900_000 }, ({ device, config }) => {
  it("writes the root tree as a folder, each entry as the owners table says", async () => {
    const out = join(dir, device);
    const { system } = await buildImage({ device, config, output: "systemConfiguration", out, progress: () => {} });
    const root = join(out, "root");
    expect(readlinkSync(join(root, "sbin/init"))).toBe("../bin/limen");
    expect(readFileSync(join(root, "bin/limen")).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    // the compiled service database the device's svc reads
    expect(
      Object.keys((JSON.parse(readFileSync(layout(root).database, "utf8")) as { services: object }).services),
    ).toEqual(expect.arrayContaining(system.defaultServices));

    const rows = readFileSync(join(out, "owners"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.find((r) => r[0] === "/root")).toEqual(["/root", "d", "700", "0", "0"]);
    expect(rows.find((r) => r[0] === "/tmp")).toEqual(["/tmp", "d", "1777", "0", "0"]);
    for (const [path, type, mode] of rows) {
      const st = lstatSync(join(root, path));
      expect([path, { d: st.isDirectory(), f: st.isFile(), l: st.isSymbolicLink() }[type]]).toEqual([path, true]);
      if (type !== "l") expect([path, (st.mode & 0o7777).toString(8)]).toEqual([path, mode]);
      expect([path, st.mtimeMs]).toEqual([path, 0]);
    }
  });

  // CI runs as root, so this runs there; elsewhere the report shows it skipped, with the reason
  it.skipIf(process.getuid?.() !== 0)(
    "gives each entry the owner and group the table says (needs root: the build applies owners only as root)",
    () => {
      const out = join(dir, device);
      for (const [path, type, , uid, gid] of readFileSync(join(out, "owners"), "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split(" "))) {
        const st = lstatSync(join(out, "root", path));
        expect([path, type, st.uid, st.gid]).toEqual([path, type, Number(uid), Number(gid)]);
      }
    },
  );
});
