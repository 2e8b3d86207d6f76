// The ssh template's defaults: keys only. Password logins, root's or anyone's, are a choice the
// configuration makes by name, not one it gets by leaving an option out.
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig } from "../../image/config/index.ts";
import ssh from "../../services/ssh/index.ts";
import { layout } from "../../runtime/src/layout.ts";
import { testDevice } from "./fixtures.ts";

function dropbear(params: Parameters<typeof ssh.svc.ssh.build>[0]): string {
  const sys = compile(
    evaluate(defineConfig({ imports: [ssh], services: { sshd: ssh.svc.ssh.build(params) } }), testDevice),
  );
  const run = sys.files.find((f) => f.path === `${layout("").longrun("sshd")}/run`);
  if (run?.type !== "file") throw new Error("no run script");
  const line = run.content.split("\n").find((l) => l.startsWith("exec dropbear "));
  if (line === undefined) throw new Error("no dropbear in the run script");
  return line;
}

describe("the ssh template", () => {
  it("refuses password logins unless told otherwise: dropbear -s (everyone) and -g (root)", () => {
    expect(dropbear({}).split(" ")).toEqual(expect.arrayContaining(["-s", "-g"]));
    const passwords = dropbear({ allowPasswordLogin: true, allowPasswordLoginForRoot: true }).split(" ");
    expect(passwords).not.toContain("-s");
    expect(passwords).not.toContain("-g");
    // users by password, root by key only
    const users = dropbear({ allowPasswordLogin: true }).split(" ");
    expect(users).not.toContain("-s");
    expect(users).toContain("-g");
  });
});
