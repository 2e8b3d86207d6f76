// The file tree: absolute path -> file, directory or symbolic link, with mode and owner.
import { z } from "zod";

export const absolutePath = z
  .string()
  .regex(/^(\/[^/\0]+)+$/, "must be an absolute path without empty, trailing or NUL parts")
  .refine((p) => !p.split("/").some((part) => part === "." || part === ".."), "must not contain . or .. parts");

const mode = z.number().int().min(0).max(0o7777);
const account = z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a user or group name");

export const fileEntry = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("file"),
    content: z.string(),
    mode: mode.default(0o644),
    owner: account.default("root"),
    group: account.default("root"),
  }),
  z.strictObject({
    type: z.literal("directory"),
    mode: mode.default(0o755),
    owner: account.default("root"),
    group: account.default("root"),
  }),
  z.strictObject({ type: z.literal("symlink"), target: z.string().min(1) }),
]);

export type FileEntryInput = z.input<typeof fileEntry>;
export type FileEntry = z.output<typeof fileEntry>;

export const fileTree = z.record(absolutePath, fileEntry);
export type FileTree = Record<string, FileEntry>;
