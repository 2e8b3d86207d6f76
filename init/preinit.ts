// `limen preinit`: process 1 of an initramfs (started as /preinit, kernel argument
// rdinit=/preinit). Loads the kernel modules the root device needs, mounts the root filesystem,
// frees the initramfs and hands process 1 over to the real root's init. Its plan is
// /etc/preinit.json, written by the image builder (image/outputs): see PreinitPlan.
import * as os from "qjs:os";
import * as std from "qjs:std";
import * as native from "limen:native";
import { exists, listDir, mkdirs } from "../runtime/src/lib/fs";
import { environ } from "../runtime/src/lib/process";
import { layout } from "../runtime/src/layout";

export interface PreinitPlan {
  /** Module files to load, dependencies first. */
  modules: string[];
  root: string;
  rootfstype: string;
  /** Program to become process 1 in the new root. */
  init: string;
}

// the initramfs is always the root here: preinit runs only as its process 1, never under LIMEN_ROOT
const planFile = layout("").preinitPlan;
const newRoot = "/newroot";
const rootWaitMs = 15_000;

function readPlan(): PreinitPlan {
  const text = std.loadFile(planFile);
  if (text === null) throw new Error(`${planFile} is missing`);
  const plan = JSON.parse(text) as Partial<PreinitPlan>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  if (
    !strings(plan.modules) ||
    typeof plan.root !== "string" ||
    typeof plan.rootfstype !== "string" ||
    typeof plan.init !== "string"
  ) {
    throw new Error(`${planFile}: needs modules (list of paths), root, rootfstype and init`);
  }
  return plan as PreinitPlan;
}

function waitFor(device: string): void {
  for (const start = os.now(); !exists(device); os.sleep(50)) {
    if (os.now() - start > rootWaitMs)
      throw new Error(`root device ${device} did not appear within ${rootWaitMs / 1000} s`);
  }
}

/** Removes the initramfs's own files (they are in RAM) without crossing into mounts. */
function freeInitramfs(path: string, device: number): void {
  for (const name of listDir(path)) {
    const child = path === "/" ? `/${name}` : `${path}/${name}`;
    const [st, err] = os.lstat(child);
    if (err !== 0 || st.dev !== device || child === newRoot) continue;
    if ((st.mode & os.S_IFMT) === os.S_IFDIR) {
      freeInitramfs(child, device);
      os.remove(child);
    } else {
      os.remove(child);
    }
  }
}

function boot(): never {
  mkdirs("/dev");
  mkdirs("/proc");
  native.mount("devtmpfs", "/dev", "devtmpfs", native.MS_NOSUID, "mode=0755");
  const plan = readPlan();
  for (const m of plan.modules) native.loadModule(m);
  waitFor(plan.root);
  mkdirs(newRoot);
  native.mount(plan.root, newRoot, plan.rootfstype, native.MS_RDONLY, "");
  if (!exists(`${newRoot}${plan.init}`)) throw new Error(`${plan.root} has no ${plan.init}`);
  native.umount("/dev", native.MNT_DETACH);
  freeInitramfs("/", os.stat("/")[0].dev);
  os.chdir(newRoot);
  native.mount(newRoot, "/", null, native.MS_MOVE);
  native.chroot(".");
  os.chdir("/");
  return native.exec([plan.init], environ());
}

export function main(args: string[]): number {
  if (args.length > 0 || os.getpid() !== 1) {
    std.err.puts("usage: limen preinit (as process 1 of an initramfs)\n");
    return 100;
  }
  try {
    boot();
  } catch (e) {
    // process 1 must not exit: say what failed and keep the console readable
    std.err.puts(`preinit: ${e instanceof Error ? e.message : String(e)}\n`);
    for (;;) os.sleep(3_600_000);
  }
}
