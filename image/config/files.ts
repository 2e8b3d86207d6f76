// The file tree: absolute path -> file, directory or symbolic link, with mode and owner.
import { z } from "zod";

/**
 * White space and control characters are refused too: the root tree's paths become lines of
 * squashfs pseudo files and UBIFS device tables, and of /etc/passwd as homes.
 */
export const absolutePath = z
  .string()
  .regex(
    /^(\/[^/\s\p{Cc}]+)+$/u,
    "must be an absolute path without empty or trailing parts, white space or control characters",
  )
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
  z.strictObject({
    type: z.literal("symlink"),
    target: z.string().regex(/^[^\s\p{Cc}]+$/u, "must be a path without white space or control characters"),
  }),
]);

export type FileEntryInput = z.input<typeof fileEntry>;
export type FileEntry = z.output<typeof fileEntry>;

export const fileTree = z.record(absolutePath, fileEntry);
export type FileTree = Record<string, FileEntry>;
