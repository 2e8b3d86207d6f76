// An ssh public key as one line of authorized_keys holds it, checked by the rules the device also
// applies to keys that arrive at run time (runtime/src/secrets/ssh-keys.ts).
import { z } from "zod";
import { sshKeyProblem } from "../../runtime/src/secrets/ssh-keys.ts";

export const sshPublicKey = z.string().superRefine((line, ctx) => {
  // a configuration's literal: the message may quote it
  const problem = sshKeyProblem(line, true);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});
