// Where svc finds its files (the device's layout, ../layout.ts). LIMEN_ROOT prefixes them all, so
// that tests (and a build host) can run svc against a directory tree of their own instead of /.
import * as std from "qjs:std";
import { layout } from "../layout";

export const paths = layout(std.getenv("LIMEN_ROOT") ?? "");
