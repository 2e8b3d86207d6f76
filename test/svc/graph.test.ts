// svc reading the service database: the dependency graph both ways, lists, status, and the exit
// statuses for unknown names, wrong usage and a bad database. Real binary, no s6 needed.
import { writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { Bed } from "./bed.ts";
import { databaseVersion } from "../../runtime/src/svc/database.ts";
import { serviceEntry } from "../engine/service-entry.ts";

describe("svc on the service database", () => {
  const bed = new Bed({
    base: { type: "oneshot" },
    link: { type: "longrun", dependencies: ["base"] },
    addr: { type: "oneshot", dependencies: ["link"] },
    dns: { type: "longrun", dependencies: ["addr", "base"] },
    usb: { type: "oneshot", controlled: true },
    backup: { type: "oneshot", dependencies: ["usb", "addr"] },
    net: { type: "bundle", dependencies: ["addr", "dns"] },
  });
  afterAll(() => bed.stop());

  it("lists direct and transitive dependencies, and dependents", () => {
    expect(bed.svc("deps", "dns").stdout).toBe("addr\nbase\n");
    expect(bed.svc("deps", "--all", "dns").stdout).toBe("addr\nbase\nlink\n");
    expect(bed.svc("rdeps", "link").stdout).toBe("addr\n");
    expect(bed.svc("rdeps", "--all", "link").stdout).toBe("addr\nbackup\ndns\nnet\n");
    expect(JSON.parse(bed.svc("--json", "rdeps", "--all", "base").stdout)).toEqual([
      "addr",
      "backup",
      "dns",
      "link",
      "net",
    ]);
    expect(bed.svc("deps", "base").stdout).toBe("");
  });

  it("lists services by state, all down before anything started", () => {
    expect(bed.svc("list").stdout).toBe("");
    expect(bed.svc("list", "--down").stdout.trim().split("\n")).toEqual([
      "addr",
      "backup",
      "base",
      "dns",
      "link",
      "net",
      "usb",
    ]);
    const all = JSON.parse(bed.svc("list", "--all", "--json").stdout) as unknown[];
    expect(all).toContainEqual({ name: "dns", type: "longrun", state: "down" });
    expect(all).toContainEqual({ name: "net", type: "bundle", state: "down" });
    expect(all).toHaveLength(7);
    expect(bed.svc("list", "--all").stdout).toContain("link down longrun\n");
  });

  it("reports status, saying when a longrun has no supervisor", () => {
    const r = bed.svc("status", "--json", "link");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: "link", type: "longrun", state: "down", supervised: false });
    expect(bed.svc("status", "base", "link").stdout).toBe("base down oneshot\nlink down longrun not-supervised\n");
  });

  it("exits 3 on an unknown service name, naming it", () => {
    for (const args of [
      ["deps", "nope"],
      ["rdeps", "--all", "nope"],
      ["status", "base", "nope"],
      ["start", "nope"],
      ["stop", "nope"],
      ["up-tree", "nope"],
      ["outputs", "nope"],
    ]) {
      const r = bed.svc(...args);
      expect(r.code, args.join(" ")).toBe(3);
      expect(r.stderr).toContain("unknown service: nope");
    }
  });

  it("exits 100 on wrong usage, with the usage text", () => {
    for (const args of [
      [],
      ["frobnicate"],
      ["deps"],
      ["deps", "a", "b"],
      ["list", "--down", "--all"],
      ["list", "--verbose"],
      ["start"],
      ["status", "--all"],
    ]) {
      const r = bed.svc(...args);
      expect(r.code, args.join(" ")).toBe(100);
      expect(r.stderr).toContain("usage: svc");
    }
    expect(bed.svc("--help").code).toBe(0);
  });

  it("exits 4 on a database it cannot use, saying why and where", () => {
    const path = bed.layout.database;
    const good = JSON.stringify({
      version: databaseVersion,
      services: {
        a: serviceEntry({ type: "oneshot", dependencies: ["b"] }),
        b: serviceEntry({ type: "oneshot", dependencies: ["a"] }),
      },
    });
    writeFileSync(path, good);
    let r = bed.svc("list");
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("dependency cycle a -> b -> a");
    writeFileSync(path, JSON.stringify({ version: databaseVersion + 1, services: {} }));
    r = bed.svc("list");
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${path}: version ${databaseVersion + 1} is not ${databaseVersion}`);
    writeFileSync(path, "{ not json");
    r = bed.svc("deps", "a");
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("not valid JSON");
  });
});
