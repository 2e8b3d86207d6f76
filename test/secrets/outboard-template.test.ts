// The secrets.outboard template: what it puts in the image, and the configuration mistakes it refuses.
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { ConfigError } from "../../image/config/errors.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig } from "../../image/config/index.ts";
import secrets from "../../services/secrets/index.ts";
import { testDevice } from "../config/fixtures.ts";
import { layout } from "../../runtime/src/layout.ts";

const onDevice = layout("");

const ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("secrets.outboard template", () => {
  it("runs limen outboard with a root-only settings file, ready once published", () => {
    const vault = secrets.svc.outboard.build({
      name: "vault",
      url: "https://10.0.0.1/secrets.json",
      username: "secrets",
      password: "liminix",
      interval: 30,
      ca,
    });
    const sys = compile(evaluate(defineConfig({ imports: [secrets], services: { vault } }), testDevice));
    expect(sys.database.services["vault"].notificationFd).toBe(3);
    // its readiness waits for two fetches of 30 s and the 10 s between them, not the default 20 s
    expect(sys.database.services["vault"].timeoutUp).toBe(75_000);
    const settings = sys.files.find((f) => f.path === "/etc/limen/outboard/vault.json")!;
    expect(settings).toMatchObject({ type: "file", mode: 0o600, owner: "root" });
    // the shape runtime/src/secrets/outboard.ts checks (test/secrets/outboard.test.ts runs it)
    expect(JSON.parse((settings as { content: string }).content)).toEqual({
      service: "vault",
      url: "https://10.0.0.1/secrets.json",
      intervalMs: 1_800_000,
      retryMs: 10_000,
      timeoutMs: 30_000,
      maxBytes: 262_144,
      username: "secrets",
      password: "liminix",
      caFile: "/etc/limen/outboard/vault-ca.pem",
      certFile: null,
      keyFile: null,
      readyFd: 3,
    });
    expect(sys.files.find((f) => f.path === "/etc/limen/outboard/vault-ca.pem")).toMatchObject({ content: ca });
    const run = sys.files.find((f) => f.path === `${onDevice.longrun("vault")}/run`) as { content: string };
    expect(run.content).toContain("exec limen outboard /etc/limen/outboard/vault.json");
  });

  it("refuses an https URL without a CA, a key without its certificate, and a bad interval, naming the option", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ url: "https://vault/s.json" }, /services\.vault\.ca: an https URL needs exactly one of ca and caFile/],
      [
        { url: "https://vault/s.json", ca, clientKeyFile: "/etc/key.pem" },
        /services\.vault\.clientKeyFile: clientCertificateFile and clientKeyFile go together/,
      ],
      [{ url: "ftp://vault/s.json" }, /services\.vault\.url: must be an http:\/\/ or https:\/\/ URL/],
      [{ url: "http://vault/s.json", interval: 0.5 }, /services\.vault\.interval/],
      [{ url: "http://vault/s.json", ca }, /services\.vault\.url: CA and client certificate are for https URLs only/],
    ];
    for (const [params, message] of cases) {
      const vault = secrets.svc.outboard.build(params as never);
      const run = () => evaluate(defineConfig({ imports: [secrets], services: { vault } }), testDevice);
      expect(run).toThrow(ConfigError);
      expect(run).toThrow(message);
    }
  });
});
