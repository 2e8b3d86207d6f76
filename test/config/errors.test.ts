// Every configuration error stops evaluation with a message naming the option path and the file.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import {
  defineConfig,
  defineDevice,
  defineModule,
  longrun,
  outputRef,
  Service,
  template,
} from "../../image/config/index.ts";
import ssh from "../../services/ssh/index.ts";
import { failure, testDevice } from "./fixtures.ts";

const here = /test\/config\/errors\.test\.ts:\d+/;

const evaluated = (c: ReturnType<typeof defineConfig>) => () => compile(evaluate(c, testDevice));

describe("configuration errors", () => {
  it("an unknown option names its path and the file setting it", () => {
    // @ts-expect-error hostnme is not an option: the editor says so too
    const e = failure(evaluated(defineConfig({ hostnme: "x" })));
    expect(e.path).toBe("hostnme");
    expect(e.file).toMatch(here);
    expect(e.message).toMatch(/errors\.test\.ts:\d+: hostnme: unknown option$/);
  });

  it("an unknown nested option names the full path", () => {
    // @ts-expect-error boot has no option "splash"
    const e = failure(evaluated(defineConfig({ boot: { splash: true } })));
    expect(e.path).toBe("boot.splash");
    expect(e.problem).toBe("unknown option");
  });

  it("a wrong type names the option and the expected type", () => {
    // @ts-expect-error hostname is a string
    const e = failure(evaluated(defineConfig({ hostname: 42 })));
    expect(e.path).toBe("hostname");
    expect(e.file).toMatch(here);
    expect(e.problem).toMatch(/expected string/);
  });

  it("hardware.defaultOutput is one of the outputs and UBI sizes are positive numbers", () => {
    const device = defineDevice({
      name: "test",
      cpu: "aarch64",
      debianArch: "arm64",
      // @ts-expect-error "iso" is no output
      config: { hardware: { defaultOutput: "iso" } },
    });
    const output = failure(() => compile(evaluate(defineConfig({}), device)));
    expect(output.path).toBe("hardware.defaultOutput");
    expect(output.problem).toMatch(/"vmroot"\|"mtdimage"\|"tftpboot"\|"ubimage"\|"systemConfiguration"\|"manifest"/);
    // @ts-expect-error a size is a number, not a string
    const text = failure(evaluated(defineConfig({ hardware: { ubi: { minIOSize: "2048" } } })));
    expect(text.path).toBe("hardware.ubi.minIOSize");
    expect(text.problem).toMatch(/expected number/);
    const zero = failure(evaluated(defineConfig({ hardware: { ubi: { maxLEBcount: 0 } } })));
    expect(zero.path).toBe("hardware.ubi.maxLEBcount");
    expect(zero.problem).toMatch(/Too small/);
  });

  it("a wrong type in a record entry names the key", () => {
    const e = failure(
      evaluated(defineConfig({ filesystem: { "/etc/motd": { type: "file", content: "hi", mode: 0o77777 } } })),
    );
    expect(e.path).toBe('filesystem["/etc/motd"].mode');
    expect(e.problem).toMatch(/Too big/);
  });

  it("an out-of-range port names the service's option path and the file that built it", () => {
    const e = failure(
      evaluated(defineConfig({ imports: [ssh], services: { sshd: ssh.svc.ssh.build({ port: 70000 }) } })),
    );
    expect(e.path).toBe("services.sshd.port");
    expect(e.file).toMatch(here);
    expect(e.problem).toMatch(/Too big: expected number to be <=65535/);
  });

  it("a bad value a template passes on is reported at the caller's file", () => {
    const e = failure(
      evaluated(defineConfig({ imports: [ssh], services: { sshd: ssh.svc.ssh.build({ name: "my sshd" }) } })),
    );
    expect(e.path).toBe("services.sshd.name");
    expect(e.file).toMatch(here);
    expect(e.problem).toMatch(
      /^a service name may only hold letters, digits and _ \. @ - \(checked by template ssh at services\/ssh\/index\.ts:\d+\)$/,
    );
  });

  it("a dependency cycle is named service by service", () => {
    const services: Record<string, Service> = {};
    services["a"] = longrun({ name: "a", run: "exec sleep 1", dependencies: [() => services["c"]] });
    services["b"] = longrun({ name: "b", run: "exec sleep 1", dependencies: [services["a"]] });
    services["c"] = longrun({ name: "c", run: "exec sleep 1", dependencies: [services["b"]] });
    const e = failure(evaluated(defineConfig({ services })));
    expect(e.problem).toBe("dependency cycle: a -> c -> b -> a");
    expect(e.path).toBe("services.a");
    expect(e.file).toMatch(here);
  });

  it("two services with one name are both named", () => {
    const e = failure(
      evaluated(
        defineConfig({
          services: {
            one: longrun({ name: "web", run: "exec httpd -f" }),
            two: longrun({ name: "web", run: "exec httpd -f -p 81" }),
          },
        }),
      ),
    );
    expect(e.path).toBe("services.two");
    expect(e.file).toMatch(here);
    expect(e.problem).toMatch(
      /^two services are named "web": this one and services\.one \(test\/config\/errors\.test\.ts:\d+\)$/,
    );
  });

  it("a reference to a service that does not exist names the dependency", () => {
    const services: Record<string, Service> = {};
    services["app"] = longrun({ name: "app", run: "exec app", dependencies: [() => services["lan"]] });
    const e = failure(evaluated(defineConfig({ services })));
    expect(e.path).toBe("services.app.dependencies[0]");
    expect(e.file).toMatch(here);
    expect(e.problem).toMatch(/refers to a service that does not exist/);
  });

  it("an outputRef to a service outside the system is an error", () => {
    const secrets = longrun({ name: "secrets", run: "exec fetch-secrets" });
    const tpl = template("user", z.strictObject({ key: z.union([z.string(), z.instanceof(Object)]) }), () =>
      longrun({ name: "user", run: "exec true" }),
    );
    const m = defineModule({ name: "user-module", svc: { tpl } });
    const e = failure(
      evaluated(defineConfig({ imports: [m], services: { user: tpl.build({ key: outputRef(secrets, "ssh/key") }) } })),
    );
    expect(e.path).toBe("services.user");
    expect(e.problem).toMatch(/outputRef\(…, "ssh\/key"\) names a service .* that is not part of the system/);
  });

  it("a template whose module is not imported is an error naming the module", () => {
    const e = failure(evaluated(defineConfig({ services: { sshd: ssh.svc.ssh.build({}) } })));
    expect(e.path).toBe("services.sshd");
    expect(e.problem).toMatch(
      /^template ssh belongs to module ssh \(services\/ssh\/index\.ts:\d+\), which is not imported$/,
    );
  });

  it("an option declared by two modules names both", () => {
    const a = defineModule({ name: "a", options: { thing: z.string().default("") } });
    const b = defineModule({ name: "b", options: { thing: z.number().default(0) } });
    const e = failure(evaluated(defineConfig({ imports: [a, b] })));
    expect(e.path).toBe("thing");
    expect(e.message).toMatch(/module b .*: thing: option is already declared by module a/);
  });

  it("a file's owner and group are resolved to the system's ids when compiling", () => {
    const sys = evaluated(
      defineConfig({
        users: { root: { uid: 0, gid: 0 }, web: { uid: 80, gid: 33 } },
        groups: { root: { gid: 0 }, www: { gid: 33 } },
        filesystem: {
          "/srv": { type: "directory", owner: "web", group: "www" },
          "/srv/index.html": { type: "file", content: "hi", owner: "web", group: "root" },
        },
      }),
    )();
    expect(sys.files.find((f) => f.path === "/srv")).toMatchObject({ owner: "web", uid: 80, group: "www", gid: 33 });
    expect(sys.files.find((f) => f.path === "/srv/index.html")).toMatchObject({ uid: 80, gid: 0 });
  });

  it("a file owned by an unknown user is an error", () => {
    const e = failure(
      evaluated(defineConfig({ filesystem: { "/etc/x": { type: "file", content: "", owner: "nobody" } } })),
    );
    expect(e.path).toBe('filesystem["/etc/x"]');
    expect(e.problem).toBe('/etc/x is owned by unknown user "nobody"');
  });

  it("a service parameter error inside a dependency names the path through the dependency", () => {
    // @ts-expect-error timeoutUp is milliseconds, a number
    const bad = longrun({ name: "bad", run: "exec x", timeoutUp: "20s" });
    const e = failure(
      evaluated(defineConfig({ services: { top: longrun({ name: "top", run: "exec y", dependencies: [bad] }) } })),
    );
    expect(e.path).toBe("services.top.dependencies[0].timeoutUp");
    expect(e.file).toMatch(here);
  });
});

describe("options not built yet", () => {
  const refused = (c: ReturnType<typeof defineConfig>, path: string, problem: RegExp) => {
    const e = failure(evaluated(c));
    expect(e.path).toBe(path);
    expect(e.file).toMatch(here);
    expect(e.problem).toMatch(problem);
    expect(e.message).toMatch(new RegExp(`errors\\.test\\.ts:\\d+: ${path.replaceAll(".", "\\.")}: `));
  };

  it.each(["ext4", "jffs2", "btrfs"] as const)("rootfsType %s: no output builds it", (t) => {
    refused(
      defineConfig({ rootfsType: t }),
      "rootfsType",
      new RegExp(`^no output builds a ${t} root file system yet \\(squashfs and ubifs are built\\)$`),
    );
  });

  it("boot.imageType secondary: the A/B images come with the update work", () => {
    refused(defineConfig({ boot: { imageType: "secondary" } }), "boot.imageType", /^not yet: .*A\/B/);
  });

  it("logging.persistent.enable: comes with the life-cycle (updates) work", () => {
    refused(
      defineConfig({ logging: { persistent: { enable: true } } }),
      "logging.persistent.enable",
      /^not yet: .*life-cycle \(updates\)/,
    );
  });

  it("programs.busybox.options: busybox is Debian's", () => {
    refused(
      defineConfig({ programs: { busybox: { options: { FEATURE_EDITING: "y" } } } }),
      "programs.busybox.options",
      /^not yet: busybox comes built from Debian's busybox package/,
    );
  });

  it("kernel.version other than 6.1", () => {
    refused(defineConfig({ kernel: { version: "6.6" } }), "kernel.version", /^not yet: .*linux-source-6\.1/);
  });

  it("hardware.radios: not set up by name", () => {
    refused(defineConfig({ hardware: { radios: ["mt7915e"] } }), "hardware.radios", /^not yet: radio drivers/);
  });

  it("accepts each at its default", () => {
    const sys = evaluated(
      defineConfig({
        rootfsType: "ubifs",
        boot: { imageType: "primary" },
        logging: { persistent: { enable: false } },
        kernel: { version: "6.1" },
      }),
    )();
    expect(sys.rootfsType).toBe("ubifs");
  });

  it("logging.directory and logging.script reach the device in /etc/limen/logging.json", () => {
    const sys = evaluated(defineConfig({ logging: { directory: "/var/log/all", script: "t  s4096 n3" } }))();
    const f = sys.files.find((x) => x.path === "/etc/limen/logging.json");
    expect(f?.type === "file" && JSON.parse(f.content)).toEqual({
      version: 1,
      directory: "/var/log/all",
      script: ["t", "s4096", "n3"],
    });
  });

  it("logging.script with quotes is refused", () => {
    const e = failure(evaluated(defineConfig({ logging: { script: "t 'x y'" } })));
    expect(e.path).toBe("logging.script");
    expect(e.problem).toMatch(/s6-log directives separated by spaces/);
  });
});
