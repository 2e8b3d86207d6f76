// Users' homes in the compiled tree: each in the image, owned by its user, except those init makes
// at boot (on the /run tmpfs), `/`, and those the configuration makes itself.
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig } from "../../image/config/index.ts";
import { failure, testDevice } from "./fixtures.ts";

const compiled = (c: ReturnType<typeof defineConfig>) => () => compile(evaluate(c, testDevice));

describe("home folders", () => {
  it("are in the image with mode 0755 and the user's ids, except on /run, / and where the configuration says", () => {
    const sys = compiled(
      defineConfig({
        users: {
          web: { uid: 80, gid: 33, dir: "/srv/web" },
          daemon: { uid: 81, gid: 33 },
          backup: { uid: 82, gid: 0, dir: "/run/backup" },
          nobody: { uid: 65534, gid: 0, dir: "/" },
          ftp: { uid: 83, gid: 33, dir: "/srv/ftp" },
        },
        groups: { www: { gid: 33 } },
        filesystem: { "/srv/ftp": { type: "directory", mode: 0o750, owner: "root", group: "www" } },
      }),
    )();
    const dirs = sys.files.filter((f) => f.type === "directory");
    expect(dirs.find((f) => f.path === "/home/root")).toMatchObject({ mode: 0o755, owner: "root", uid: 0, gid: 0 });
    expect(dirs.find((f) => f.path === "/srv/web")).toMatchObject({ mode: 0o755, owner: "web", uid: 80, gid: 33 });
    expect(dirs.find((f) => f.path === "/srv/ftp")).toMatchObject({ mode: 0o750, uid: 0, gid: 33 });
    expect(sys.files.map((f) => f.path)).not.toContain("/run");
    expect(sys.files.map((f) => f.path)).not.toContain("/run/backup");
    expect(sys.files.map((f) => f.path)).not.toContain("/");
  });

  it("need a group with the user's gid", () => {
    const e = failure(compiled(defineConfig({ users: { web: { uid: 80, gid: 33, dir: "/srv/web" } } })));
    expect(e.path).toBe("users.web.gid");
    expect(e.problem).toBe("33 is not the gid of a group (see groups)");
  });

  it("are absolute paths", () => {
    const e = failure(compiled(defineConfig({ users: { web: { uid: 80, gid: 0, dir: "srv/web" } } })));
    expect(e.path).toBe("users.web.dir");
  });
});
