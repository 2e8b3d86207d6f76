// secrets.store: the disk the lab makes from a store's declaration, and the service's own script
// reading it (root: a loop device, in a mount namespace of its own with a private /run).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile, type SystemDescription } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig } from "../../image/config/index.ts";
import { makeStoreImage, storeDisks, storeParams, storeValues } from "../../image/lab/store.ts";
import secrets from "../../services/secrets-store/index.ts";
import { layout } from "../../runtime/src/layout.ts";
import { failure, testDevice } from "../config/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "limen-store-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keys = ["ppp/username", "ppp/password", "wifi/passphrase"];
function system(device = "/dev/vdb"): SystemDescription {
  const store = secrets.svc.store.build({ device, keys });
  return compile(evaluate(defineConfig({ imports: [secrets], services: { store } }), testDevice));
}
const params = () => storeParams.parse(system().services["secrets"].templates[0].params);
const onDevice = layout("");
const upScript = (sys: SystemDescription) => {
  const f = sys.files.find((e) => e.path === `${onDevice.oneshots}/secrets/up`);
  if (f?.type !== "file") throw new Error("no up script");
  return f.content;
};
const debugfsCat = (image: string, path: string) =>
  spawnSync("debugfs", ["-R", `cat ${path}`, image], { encoding: "utf8" }).stdout;

describe("a secrets store's declaration", () => {
  it("is recorded with its defaults, and its outputs are its keys", () => {
    const sys = system();
    expect(params()).toEqual({ device: "/dev/vdb", fstype: "ext4", folder: "/secrets", keys });
    expect(sys.database.services["secrets"].outputs).toEqual(keys);
    // mount finds ext4 only once its driver is loaded, where the kernel builds it as a module
    expect(sys.database.services["secrets"].kernelModules).toEqual(["crc32c_generic", "ext4"]);
  });

  it("refuses a device outside /dev and a key named twice, naming the option", () => {
    expect(failure(() => system("vdb")).path).toBe("services.store.device");
    const twice = secrets.svc.store.build({ device: "/dev/vdb", keys: ["a", "a"] });
    const e = failure(() => evaluate(defineConfig({ imports: [secrets], services: { twice } }), testDevice));
    expect(e.path).toBe("services.twice.keys");
  });
});

describe("the store's disk", () => {
  it("holds each key's value from a folder, and names the key a folder lacks", () => {
    const src = join(dir, "src");
    mkdirSync(join(src, "ppp"), { recursive: true });
    writeFileSync(join(src, "ppp/username"), "lab");
    writeFileSync(join(src, "ppp/password"), "s3cret");
    expect(() => storeValues(params(), src, {})).toThrow(`${join(src, "wifi/passphrase")} is missing`);
    mkdirSync(join(src, "wifi"));
    writeFileSync(join(src, "wifi/passphrase"), "correct horse");
    const image = join(dir, "store.ext4");
    makeStoreImage(params(), storeValues(params(), src, {}), image);
    expect(debugfsCat(image, "/secrets/ppp/password")).toBe("s3cret");
    expect(debugfsCat(image, "/secrets/wifi/passphrase")).toBe("correct horse");
  });

  it("is made for each store in the order run.sh attaches disks, and only for /dev/vdb, /dev/vdc, …", () => {
    const defaults = { "ppp/username": "lab", "ppp/password": "limen-lab", "wifi/passphrase": "lab wifi" };
    const [disk] = storeDisks([{ service: "secrets", params: params() }], null, defaults, dir, "x.ts");
    expect(debugfsCat(disk, "/secrets/ppp/password")).toBe("limen-lab");
    const on = (device: string) => ({ service: "secrets", params: { ...params(), device } });
    expect(() => storeDisks([on("/dev/sda")], null, defaults, dir, "x.ts")).toThrow(
      /^x\.ts: secrets store secrets is on \/dev\/sda: the lab provides whole emulated disks only, \/dev\/vdb next$/,
    );
    expect(() => storeDisks([on("/dev/vdc")], null, defaults, dir, "x.ts")).toThrow(/\/dev\/vdb next$/);
  });
});

describe.skipIf(process.getuid?.() !== 0)("the store service's script", () => {
  // the script publishes into /run/services/outputs (a tmpfs of the namespace's own): copied out after
  const run = (image: string, outputs: string) => {
    const loop = spawnSync("losetup", ["--show", "-f", image], { encoding: "utf8" }).stdout.trim();
    try {
      const script = join(dir, "up");
      writeFileSync(script, upScript(system(loop)));
      const published = onDevice.outputsOf("secrets");
      const inside = `mount -t tmpfs run /run; sh ${script}; rc=$?; cp -R ${published}/. ${outputs}; find ${published} -exec stat -c '%a %U %n' {} + > ${outputs}.modes; exit $rc`;
      return spawnSync("unshare", ["-m", "sh", "-c", inside], { encoding: "utf8" });
    } finally {
      spawnSync("losetup", ["-d", loop]);
    }
  };

  it("copies every key into its outputs, and refuses a store lacking one, copying nothing", () => {
    const full = join(dir, "full.ext4");
    makeStoreImage(params(), { "ppp/username": "u", "ppp/password": "p", "wifi/passphrase": "w" }, full);
    const out = join(dir, "out");
    mkdirSync(out);
    const ok = run(full, out);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(readFileSync(join(out, "ppp/password"), "utf8")).toBe("p");
    expect(readFileSync(join(out, "wifi/passphrase"), "utf8")).toBe("w");
    // the outputs hold secrets: root's alone
    const published = onDevice.outputsOf("secrets");
    expect(readFileSync(`${out}.modes`, "utf8").trim().split("\n").sort()).toEqual(
      [
        `700 root ${published}`,
        `700 root ${published}/ppp`,
        `600 root ${published}/ppp/username`,
        `600 root ${published}/ppp/password`,
        `700 root ${published}/wifi`,
        `600 root ${published}/wifi/passphrase`,
      ].sort(),
    );

    const partial = join(dir, "partial.ext4");
    makeStoreImage({ ...params(), keys: ["ppp/username"] }, { "ppp/username": "u" }, partial);
    const none = join(dir, "none");
    mkdirSync(none);
    const bad = run(partial, none);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/has no file under \/secrets for: ppp\/password wifi\/passphrase/);
    expect(readdirSync(none)).toEqual([]);
  });
});
