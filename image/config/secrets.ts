// Secret files of a service: configuration file text whose values come from other services'
// outputs (a secrets service, say), rendered by `secrets render` on the device when the service
// starts, into /run/secrets/<service>/<name>, owned by the service's user and unreadable by others.
// The image holds only the template; runtime/src/secrets/template.ts defines its format.
import { z } from "zod";
import { layout } from "../../runtime/src/layout.ts";
import { secretFileName, valueFormats } from "../../runtime/src/secrets/template.ts";
import { OutputRef } from "./output-ref.ts";

const account = z.string().regex(/^[a-z_][a-z0-9_-]*$/, "must be a user or group name");
const ref = z.instanceof(OutputRef).meta({ type: "outputRef" });
/** An outputRef alone is written as one line (`line`); `{ ref, as }` names the format (template.ts's ValueFormat). */
const part = z.union([z.string(), ref, z.strictObject({ ref, as: z.enum(valueFormats) })]);

export const secretFile = z.strictObject({
  /** The text: a literal, an outputRef (or { ref, as }), or a list of those (see `secretText`). */
  content: z.union([part, z.array(part)]).transform((c) => (Array.isArray(c) ? c : [c])),
  owner: account.default("root"),
  group: account.default("root"),
  mode: z
    .number()
    .int()
    .refine((m) => m >= 0 && m <= 0o700 && (m & 0o077) === 0, "must give no access to group or others (0o400 or 0o600)")
    .default(0o400),
});
export type SecretFile = z.output<typeof secretFile>;

export const secretFiles = z.record(
  z.string().regex(secretFileName, "a secret file name is one path component of letters, digits and _ . @ -"),
  secretFile,
);

/** Where a service's secret file is found on the device once rendered. */
export function secretPath(service: string, file: string): string {
  return `${layout("").secretsOf(service)}/${file}`;
}

type Part = z.input<typeof part>;

/** A tagged template for `content`: secretText`password=${outputRef(vault, "wifi/psk")}\n`. */
export function secretText(strings: TemplateStringsArray, ...values: Part[]): Part[] {
  return strings.flatMap((s, i) => (i < values.length ? [s, values[i]] : [s])).filter((p) => p !== "");
}
