// The `users` and `groups` options. Their values become lines of /etc/passwd, /etc/shadow and
// /etc/group, whose fields are separated by ":" and records by line breaks: no value may hold
// either, a password is a crypt hash or a lock, and there is one root.
import { z } from "zod";
import { absolutePath } from "./files.ts";
import { sshPublicKey } from "./ssh-key.ts";

export const account = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]*$/, "must be a user or group name (lower case letters, digits, _ and -)");
const id = z.number().int().min(0).max(65535);

/** A field of /etc/passwd: no ":" nor line break (nor any control character). */
const field = (s: z.ZodString) => s.regex(/^[^:\p{Cc}]*$/u, "must not contain :, line breaks or control characters");

/**
 * A crypt(3) hash: `$id$[params$]salt$hash` (sha512crypt's `$6$`, yescrypt's `$y$j9T$`, bcrypt's
 * `$2b$10$`) or traditional DES's 13 characters; prefixed by "!" it is locked.
 */
const cryptHash = /^!?(\$[0-9a-z]+(\$[A-Za-z0-9./=,-]+){1,3}\$[A-Za-z0-9./]+|[A-Za-z0-9./]{13})$/;
/** Password login refused: "!!", "!", "*" (and "*LK*"-style locks). */
const locked = /^(!+|\*[A-Za-z0-9*]*)$/;

const user = z
  .strictObject({
    uid: id,
    gid: id,
    dir: field(z.string())
      .pipe(z.union([z.literal("/"), absolutePath]))
      .default("/run"),
    gecos: field(z.string()).default(""),
    shell: field(z.string()).pipe(absolutePath).default("/bin/sh"),
    /** Encrypted, as made by `mkpasswd -m sha512crypt`; "!!" locks password login. */
    passwd: z
      .string()
      .refine(
        (p) => p === "" || cryptHash.test(p) || locked.test(p),
        'must be a crypt hash (mkpasswd -m sha512crypt) or a lock ("!!", "*")',
      )
      .default("!!"),
    /** The one way to an empty passwd, which lets anyone at a login prompt in as this user. */
    passwordless: z.boolean().default(false),
    openssh: z
      .strictObject({
        authorizedKeys: z.strictObject({ keys: z.array(sshPublicKey).default([]) }).prefault({}),
      })
      .prefault({}),
  })
  .superRefine((u, ctx) => {
    if ((u.passwd === "") !== u.passwordless)
      ctx.addIssue({
        code: "custom",
        path: ["passwd"],
        message: u.passwordless
          ? 'must be "" where passwordless is true'
          : "is empty, which lets anyone log in without a password: set passwordless: true if that is meant",
      });
  });

export const usersOption = z.record(account, user).superRefine((users, ctx) => {
  // a second uid 0 is root under another name: a hidden way in
  const roots = Object.entries(users).filter(([, u]) => u.uid === 0);
  for (const [name] of roots.slice(1))
    ctx.addIssue({
      code: "custom",
      path: [name, "uid"],
      message: `is 0, as ${roots[0][0]}'s: only one account may have uid 0`,
    });
});

export const groupsOption = z.record(account, z.strictObject({ gid: id, usernames: z.array(account).default([]) }));
