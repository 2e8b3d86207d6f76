// TCP connection failures and the directory swap secrets publication relies on, in the engine.
import * as os from "qjs:os";
import * as std from "qjs:std";
import * as native from "limen:native";
import { equal, throwsNative, type Suite } from "./assert";

export const net: Suite = {
  "tcpConnect names the address it could not reach": () => {
    // port 1 on loopback: nothing listens there
    throwsNative(() => native.tcpConnect("127.0.0.1", 1, 2000), "ECONNREFUSED", "connect", "127.0.0.1:1");
    let message = "";
    try {
      native.tcpConnect("127.0.0.1", 70000, 2000);
    } catch (e) {
      message = (e as Error).message;
    }
    equal(message, "tcpConnect 127.0.0.1:70000: port must be 1 to 65535", "port range");
  },
  "renameExchange swaps two directories in one step": () => {
    const dir = `${std.getenv("TMPDIR") ?? "/tmp"}/limen-engine-swap-${os.getpid()}`;
    for (const d of [dir, `${dir}/a`, `${dir}/b`]) os.mkdir(d, 0o755);
    std.writeFile(`${dir}/a/which`, "a");
    std.writeFile(`${dir}/b/which`, "b");
    native.renameExchange(`${dir}/a`, `${dir}/b`);
    equal([std.loadFile(`${dir}/a/which`), std.loadFile(`${dir}/b/which`)], ["b", "a"], "swapped");
    throwsNative(() => native.renameExchange(`${dir}/a`, `${dir}/missing`), "ENOENT", "renameat2", `${dir}/missing`);
    for (const f of [`${dir}/a/which`, `${dir}/b/which`, `${dir}/a`, `${dir}/b`, dir]) os.remove(f);
  },
};
