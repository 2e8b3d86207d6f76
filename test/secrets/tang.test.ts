// secrets tang under real s6 against Debian's tangd on 127.0.0.1, with files made by Debian's
// clevis: the JSON inside is published as outputs; a new file reaches the subscriber and the
// service using the secret restarts with the new value; with the server away, or a file
// missing, damaged or made for other keys, the last good secrets stay and each try logs one line.
import { renameSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, oneshot } from "../../image/config/index.ts";
import secrets from "../../services/secrets/index.ts";
import { testDevice } from "../config/fixtures.ts";
import { Bed } from "../svc/bed.ts";
import { TangServer } from "./tang-server.ts";
import { layout } from "../../runtime/src/layout.ts";
import { settle, until } from "../lib/until.ts";

const onDevice = layout("");

const doc = (key: string) =>
  JSON.stringify({ ssh: { authorized_keys: [`ssh-ed25519 AAAA ${key}`] }, wifi: { psk: `psk of ${key}` } });

describe("secrets tang", () => {
  const tang = new TangServer();
  const bed = new Bed({
    vault: {
      type: "longrun",
      notificationFd: 3,
      timeoutUp: 20_000,
      run: "exec limen secrets tang --interval-ms 1500 --retry-ms 300 --timeout-ms 3000 --ready-fd 3 vault stick/secrets.jwe",
    },
    app: {
      type: "longrun",
      dependencies: ["vault"],
      outputRefs: [{ service: "vault", path: "ssh/authorized_keys" }],
      run: `limen secrets render app || exit 1\necho "start $(cat "$LIMEN_ROOT${onDevice.secretsOf("app")}/keys")" >> events\nexec sleep 1000`,
    },
    subscriber: { type: "longrun", run: "exec limen secrets subscribe vault app" },
  });
  const file = bed.path("stick/secrets.jwe");
  /** Replaces the file at once, as copying a new one onto the stick would end. */
  const place = (jwe: string) => {
    writeFileSync(`${file}.tmp`, jwe);
    renameSync(`${file}.tmp`, file);
  };
  const vaultLog = () => bed.svc("log", "vault").stdout;
  const state = () => `vault log:
${vaultLog()}
events: ${JSON.stringify(bed.events())}`;
  const outputs = () => JSON.parse(bed.svc("outputs", "--json", "vault").stdout) as Record<string, string>;
  const lines = (re: RegExp) =>
    vaultLog()
      .split("\n")
      .filter((l) => re.test(l));

  beforeAll(async () => {
    await tang.start();
    mkdirSync(bed.path("stick"));
    place(tang.encrypt(doc("one")));
    mkdirSync(bed.layout.secretSpecs, { recursive: true });
    writeFileSync(
      bed.layout.secretSpecOf("app"),
      JSON.stringify({
        version: 1,
        files: {
          keys: { uid: 0, gid: 0, mode: 0o400, parts: [{ service: "vault", path: "ssh/authorized_keys", as: "text" }] },
        },
      }),
    );
    await bed.start();
  }, 60_000);
  afterAll(async () => {
    await bed.stop();
    await tang.close();
  });

  it("decrypts the clevis file with the Tang server and publishes the JSON inside, ready then", () => {
    expect(bed.svc("start", "vault").code).toBe(0);
    expect(outputs()).toEqual({ "ssh/authorized_keys": "ssh-ed25519 AAAA one\n", "wifi/psk": "psk of one" });
    expect(lines(/published/)).toEqual([
      expect.stringContaining(`published 2 secrets from stick/secrets.jwe (Tang server ${tang.url})`),
    ]);
    expect(vaultLog()).not.toContain("psk of one");
  });

  it("a new file reaches the subscriber, and the service restarts with the new value", async () => {
    expect(bed.svc("start", "app", "subscriber").code).toBe(0);
    await until("app to start with key one", () => bed.events().includes("start ssh-ed25519 AAAA one"), 20_000, state);
    await settle(500);
    place(tang.encrypt(doc("two")));
    await until(
      "app to restart with key two",
      () => bed.events().includes("start ssh-ed25519 AAAA two"),
      20_000,
      state,
    );
    expect(bed.events()).toEqual(["start ssh-ed25519 AAAA one", "start ssh-ed25519 AAAA two"]);
    expect(bed.svc("log", "subscriber").stdout).toContain("vault changed ssh/authorized_keys: restarting app");
  });

  it("with the server away keeps the last good secrets, logs one line a try, and recovers", async () => {
    const three = tang.encrypt(doc("three"));
    await tang.stop();
    place(three);
    await until("two failed tries", () => lines(/connect|refused/).length >= 2, 20_000, state);
    const failed = lines(/refused/);
    expect(failed[0]).toMatch(
      new RegExp(`POST ${tang.url}/rec/[\\w-]+: .*refused.*; keeping the last good secrets, next try in 0\\.3 s$`),
    );
    expect(failed[1]).toMatch(/next try in 0\.6 s$/);
    expect(outputs()["ssh/authorized_keys"]).toBe("ssh-ed25519 AAAA two\n");
    expect(bed.events()).toHaveLength(2);
    await tang.start();
    await until(
      "app to restart with key three",
      () => bed.events().includes("start ssh-ed25519 AAAA three"),
      20_000,
      state,
    );
    expect(outputs()["wifi/psk"]).toBe("psk of three");
  });

  it("keeps the last good secrets through a missing file, a damaged one and one made for other keys", async () => {
    const good = tang.encrypt(doc("three"));
    const failures = (re: RegExp) => until(`a line matching ${re}`, () => lines(re).length > 0, 20_000, state);
    rmSync(file);
    await failures(/stick\/secrets\.jwe does not exist; keeping the last good secrets/);
    const parts = good.trim().split(".");
    parts[3] = (parts[3][0] === "A" ? "B" : "A") + parts[3].slice(1);
    place(parts.join("."));
    await failures(/stick\/secrets\.jwe with .*: does not decrypt: the tag does not match/);
    place("not a JWE at all");
    await failures(/stick\/secrets\.jwe: not a compact JWE: 1 parts, not 5/);
    tang.newKeys();
    place(good);
    await failures(/HTTP 404 \(the server no longer has the key this file was made with\)/);
    place(tang.encrypt("plain text, not JSON"));
    await failures(/stick\/secrets\.jwe: the decrypted document is not JSON/);
    expect(outputs()).toEqual({ "ssh/authorized_keys": "ssh-ed25519 AAAA three\n", "wifi/psk": "psk of three" });
    expect(bed.events()).toHaveLength(3);
    expect(vaultLog()).not.toMatch(/psk of|AAAA/);
  });
});

describe("secrets.tang template", () => {
  it("runs `limen secrets tang` on the file after what it depends on, ready when the first secrets are out", () => {
    const stick = oneshot({ name: "mount-stick", up: "mount /dev/sda1 /srv" });
    const vault = secrets.svc.tang.build({
      name: "vault",
      file: "/srv/secrets.jwe",
      interval: 10,
      retry: 5,
      dependencies: [stick],
    });
    const sys = compile(evaluate(defineConfig({ imports: [secrets], services: { vault } }), testDevice));
    expect(sys.database.services["vault"]).toMatchObject({ dependencies: ["mount-stick"], notificationFd: 3 });
    const run = sys.files.find((f) => f.path === `${onDevice.longrun("vault")}/run`);
    expect(run?.type === "file" && run.content).toContain(
      "exec limen secrets tang --interval-ms 600000 --retry-ms 5000 --timeout-ms 10000 --ready-fd 3 vault /srv/secrets.jwe\n",
    );
  });

  it("refuses a file path that is not absolute", () => {
    const vault = secrets.svc.tang.build({ file: "secrets.jwe" });
    expect(() => evaluate(defineConfig({ imports: [secrets], services: { vault } }), testDevice)).toThrow(
      /services\.vault\.file: must be an absolute path/,
    );
  });
});
