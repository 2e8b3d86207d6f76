// Service outputs: written by services through `output --set`, read with `output` and
// `svc outputs`, followed with `svc outputs --watch` (inotify), removed when the service stops.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bed } from "./bed.ts";
import { until } from "../lib/until.ts";

describe("service outputs", () => {
  const bed = new Bed({
    wan: { type: "oneshot", up: "output --set wan address 192.0.2.1 && echo fe80::1 | output --set wan ipv6/address" },
    // reads its dependency's output when it starts, as a service's run script would
    dns: {
      type: "longrun",
      dependencies: ["wan"],
      run: `output wan address > dns.tmp && mv dns.tmp dns.upstream; exec sleep 1000`,
    },
  });
  beforeAll(() => bed.start());
  afterAll(() => bed.stop());

  it("are written by a service and read by what depends on it", async () => {
    expect(bed.svc("start", "dns").code).toBe(0);
    await until("dns to write dns.upstream", () => existsSync(bed.path("dns.upstream")), 5_000);
    expect(readFileSync(bed.path("dns.upstream"), "utf8")).toBe("192.0.2.1");
    expect(bed.svc("outputs", "wan").stdout).toBe("address=192.0.2.1\nipv6/address=fe80::1\n");
    expect(JSON.parse(bed.svc("outputs", "--json", "wan").stdout)).toEqual({
      address: "192.0.2.1",
      "ipv6/address": "fe80::1\n",
    });
    expect(bed.svc("outputs", "wan", "ipv6/address").stdout).toBe("fe80::1\n");
    expect(bed.svc("outputs", "dns").stdout).toBe("");
    // what cannot be answered: a key the service never wrote, a key with --watch
    const missing = bed.svc("outputs", "wan", "nosuch");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("wan has no output nosuch");
    const usage = bed.svc("outputs", "--watch", "wan", "address");
    expect(usage.code).toBe(100);
    expect(usage.stderr).toContain("outputs --watch takes a service name only");
  });

  it("are printed one at a time by `output`, which fails clearly on what is missing or malformed", () => {
    const output = (...args: string[]) => spawnSync("output", args, { env: bed.env, encoding: "utf8" });
    expect(output("wan", "address").stdout).toBe("192.0.2.1");
    let r = output("wan", "gateway");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("output: wan has no output gateway\n");
    r = output("--set", "wan", "../escape", "x");
    expect(r.status).toBe(111);
    expect(r.stderr).toContain('output key "../escape": must be a relative path');
    expect(existsSync(bed.layout.outputsOf("escape"))).toBe(false);
    expect(output("wan").status).toBe(100);
  });

  it("`output --set --secret` writes a value only its owner can read, and says so in its usage", () => {
    const output = (...args: string[]) => spawnSync("output", args, { env: bed.env, encoding: "utf8" });
    const mode = (key: string): string => (statSync(join(bed.layout.outputsOf("ppp"), key)).mode & 0o777).toString(8);
    expect(output("--set", "--secret", "ppp", "chap/password", "hunter2").status).toBe(0);
    expect(output("ppp", "chap/password").stdout).toBe("hunter2");
    expect(mode("chap/password")).toBe("600");
    // the service's other outputs stay readable by every user
    expect(output("--set", "ppp", "ifname", "ppp0").status).toBe(0);
    expect(mode("ifname")).toBe("644");
    expect(mode("chap")).toBe("755");
    expect(mode(".")).toBe("755");
    // written again as a secret, it stays one; written without --secret, it is an ordinary output again
    expect(output("--set", "--secret", "ppp", "chap/password", "hunter3").status).toBe(0);
    expect(mode("chap/password")).toBe("600");
    expect(output("--set", "ppp", "chap/password", "public").status).toBe(0);
    expect(mode("chap/password")).toBe("644");
    const help = output("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--secret");
    expect(help.stdout).toContain("0600");
    expect(output("--secret", "wan", "address").status).toBe(100);
  });

  it("are followed by a watcher without restarting it, and removed when the service stops", async () => {
    const watcher = spawn("svc", ["outputs", "--watch", "--json", "wan"], { env: bed.env });
    const lines = createInterface({ input: watcher.stdout })[Symbol.asyncIterator]();
    const seen: unknown[] = [];
    /** Reads the watcher's lines until one equals `wanted` (it may show steps in between). */
    const until = async (wanted: unknown): Promise<void> => {
      for (;;) {
        const line = await lines.next();
        if (line.done) throw new Error(`watcher ended; it printed ${JSON.stringify(seen)}`);
        seen.push(JSON.parse(line.value));
        if (JSON.stringify(seen[seen.length - 1]) === JSON.stringify(wanted)) return;
      }
    };
    const full = { address: "192.0.2.1", "ipv6/address": "fe80::1\n" };
    try {
      await until(full);
      expect(seen).toHaveLength(1);
      expect(bed.svc("restart", "wan").code).toBe(0); // removed on stop, written again on start
      await until({});
      await until(full);
      const set = spawn("output", ["--set", "wan", "address", "192.0.2.7"], { env: bed.env });
      await new Promise((r) => set.on("exit", r));
      await until({ ...full, address: "192.0.2.7" });
      expect(bed.svc("stop", "wan").code).toBe(0);
      await until({});
      expect(existsSync(bed.layout.outputsOf("wan"))).toBe(false);
      expect(bed.svc("list").stdout).toBe("");
    } finally {
      watcher.kill();
    }
  });
});
