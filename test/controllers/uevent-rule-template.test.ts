// The uevent-rule and mount templates as a configuration uses them: what they compile to, and
// the errors a wrong parameter gets.
import { describe, expect, it } from "vitest";
import { compile } from "../../image/config/compile.ts";
import { evaluate } from "../../image/config/evaluate.ts";
import { defineConfig, longrun, oneshot } from "../../image/config/index.ts";
import mount from "../../services/mount/index.ts";
import ueventRule from "../../services/uevent-rule/index.ts";
import { testDevice } from "../config/fixtures.ts";
import { layout } from "../../runtime/src/layout.ts";

const onDevice = layout("");

const file = (sys: ReturnType<typeof compile>, path: string): string => {
  const f = sys.files.find((x) => x.path === path);
  if (f?.type !== "file" || typeof f.content !== "string") throw new Error(`${path} is not among the files`);
  return f.content;
};

describe("uevent-rule template", () => {
  it("runs the controller with its terms, attributes and symlink; the controlled service stays out of boot", () => {
    const modem = longrun({ name: "modem", run: "exec pppd", controlled: true });
    const rule = ueventRule.svc["uevent-rule"].build({
      service: modem,
      terms: { subsystem: "tty", ID_BUS: "usb" },
      attributes: { "device/interface": "Modem port" },
      symlink: "/dev/modem",
    });
    const sys = compile(evaluate(defineConfig({ imports: [ueventRule], services: { rule } }), testDevice));
    expect(sys.defaultServices).toEqual(["modem.uevent"]);
    expect(sys.database.services.modem.controlled).toBe(true);
    expect(sys.database.services["modem.uevent"].dependencies).toEqual([]);
    expect(file(sys, `${onDevice.longrun("modem.uevent")}/run`)).toContain(
      "exec limen uevent-rule --symlink /dev/modem --attr 'device/interface=Modem port' modem subsystem=tty ID_BUS=usb\n",
    );
  });

  it("refuses a service that is not controlled, a rule without terms and a relative symlink, naming the option", () => {
    const always = longrun({ name: "always", run: "exec true" });
    const controlled = longrun({ name: "sometimes", run: "exec true", controlled: true });
    const build = (params: Parameters<(typeof ueventRule.svc)["uevent-rule"]["build"]>[0]) => () =>
      evaluate(
        defineConfig({ imports: [ueventRule], services: { rule: ueventRule.svc["uevent-rule"].build(params) } }),
        testDevice,
      );
    expect(build({ service: always, terms: { subsystem: "block" } })).toThrow(
      /services\.rule\.service: must be a controlled service/,
    );
    expect(build({ service: controlled })).toThrow(/services\.rule: needs terms or attributes/);
    expect(build({ service: controlled, terms: { subsystem: "block" }, symlink: "dev/x" })).toThrow(
      /services\.rule\.symlink: must be an absolute path/,
    );
    expect(build({ service: controlled, terms: { "sub system": "block" } })).toThrow(
      'services.rule.terms["sub system"]: must be a uevent key (letters, digits, _)',
    );
  });
});

describe("mount template", () => {
  it("mounts the partition with that GPT label while it is present; what needs the mount leaves the boot set with it", () => {
    const srv = mount.svc.mount.build({
      partlabel: "backup",
      mountpoint: "/srv",
      fstype: "ext4",
      options: ["noatime", "ro"],
    });
    const share = longrun({ name: "share", run: "exec httpd -f -h /srv", dependencies: [srv] });
    const sys = compile(evaluate(defineConfig({ imports: [mount], services: { share } }), testDevice));
    expect(sys.defaultServices).toEqual(["mount.srv.uevent"]);
    expect(sys.database.services["mount.srv"]).toMatchObject({
      type: "oneshot",
      controlled: true,
      dependencies: ["mount.srv.uevent"],
    });
    expect(sys.database.services.share.dependencies).toEqual(["mount.srv"]);
    expect(file(sys, `${onDevice.longrun("mount.srv.uevent")}/run`)).toContain(
      "exec limen uevent-rule --symlink /dev/disk/by-partlabel/backup mount.srv SUBSYSTEM=block DEVTYPE=partition PARTNAME=backup\n",
    );
    expect(file(sys, `${onDevice.oneshot("mount.srv")}/up`)).toContain(
      "mkdir -p /srv\nmount -t ext4 -o noatime,ro /dev/disk/by-partlabel/backup /srv\n",
    );
    expect(file(sys, `${onDevice.oneshot("mount.srv")}/down`)).toContain("umount -l /srv\n");
    expect(sys.busybox.applets).toEqual(expect.arrayContaining(["mount", "umount", "mkdir"]));
    expect(sys.kernel.config).toMatchObject({ EFI_PARTITION: "y" });
  });

  it("lets mount find the file system type by default, and refuses a bad label or mount point", () => {
    const srv = mount.svc.mount.build({ partlabel: "stick", mountpoint: "/run/mnt/stick" });
    const sys = compile(evaluate(defineConfig({ imports: [mount], services: { srv } }), testDevice));
    expect(file(sys, `${onDevice.oneshot("mount.run.mnt.stick")}/up`)).toContain(
      "mount /dev/disk/by-partlabel/stick /run/mnt/stick\n",
    );
    const bad = (p: Parameters<typeof mount.svc.mount.build>[0]) => () =>
      evaluate(defineConfig({ imports: [mount], services: { srv: mount.svc.mount.build(p) } }), testDevice);
    expect(bad({ partlabel: "has space", mountpoint: "/srv" })).toThrow(
      /services\.srv\.partlabel: must be a GPT partition name/,
    );
    expect(bad({ partlabel: "ok", mountpoint: "/" })).toThrow(/services\.srv\.mountpoint: must not be \//);
  });

  it("needs the mount module imported", () => {
    const srv = mount.svc.mount.build({ partlabel: "stick", mountpoint: "/srv" });
    expect(() => evaluate(defineConfig({ services: { srv } }), testDevice)).toThrow(
      /template mount belongs to module mount/,
    );
    const sys = compile(
      evaluate(
        defineConfig({ imports: [mount], services: { srv, other: oneshot({ name: "other", up: "true" }) } }),
        testDevice,
      ),
    );
    expect(sys.defaultServices.sort()).toEqual(["mount.srv.uevent", "other"]);
  });
});
