// What a configuration ships of each Debian package: a plain name all its executables, `{ name,
// files }` only those files; requests from every module and the configuration merged per package.
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, defineModule } from "../../image/config/module.ts";
import { failure, testDevice } from "./fixtures.ts";

const compiled = (c: ReturnType<typeof defineConfig>) => compile(evaluate(c, testDevice));

describe("package requests", () => {
  it("merges the files asked for one package into one sorted list, one request a package sorted by name", () => {
    const tools = defineModule({
      name: "tools",
      config: { packages: [{ name: "iproute2", files: ["/sbin/tc", "/bin/ip"] }] },
    });
    const sys = compiled(
      defineConfig({
        imports: [tools],
        defaultProfile: { packages: [{ name: "iproute2", files: ["/bin/ss", "/bin/ip"] }, "tcpdump"] },
      }),
    );
    const byName = Object.fromEntries(sys.packages.map((p) => [p.package, p.files]));
    expect(sys.packages.map((p) => p.package)).toEqual(["iproute2", "s6", "tcpdump"]);
    expect(byName["iproute2"]).toEqual(["/bin/ip", "/bin/ss", "/sbin/tc"]);
    expect(byName["tcpdump"]).toBe("executables");
  });

  it("ships every executable of a package asked for by name anywhere, whatever else asks for some files", () => {
    const tools = defineModule({ name: "tools", config: { packages: ["iproute2"] } });
    const sys = compiled(defineConfig({ imports: [tools], packages: [{ name: "iproute2", files: ["/bin/ip"] }] }));
    expect(sys.packages.find((p) => p.package === "iproute2")!.files).toBe("executables");
    const late = compiled(defineConfig({ packages: [{ name: "iproute2", files: ["/bin/ip"] }, "iproute2"] }));
    expect(late.packages.find((p) => p.package === "iproute2")!.files).toBe("executables");
  });

  // the base module's s6 request comes first: the configuration's own is packages[1]
  it.each([
    { files: ["bin/ip"], path: "packages[1].files[0]", message: /must be an absolute path/ },
    { files: ["/bin/../sbin/tc"], path: "packages[1].files[0]", message: /must not contain \. or \.\. parts/ },
    { files: [], path: "packages[1].files", message: /must name at least one file/ },
  ])("rejects the file list $files, naming the option and the file", ({ files, path, message }) => {
    const e = failure(() => compiled(defineConfig({ packages: [{ name: "iproute2", files }] })));
    expect(e.path).toBe(path);
    expect(e.file).toMatch(/test\/config\/packages\.test\.ts:\d+/);
    expect(e.message).toMatch(message);
  });
});
