// Shell text built from configuration values. Every interpolated value is quoted, so a parameter
// holding spaces, quotes, `$` or newlines stays one argument and cannot break the script.
import { noteOutputRef, OutputRef } from "./service.ts";

export type ShellValue = string | number | boolean | OutputRef | readonly (string | number | OutputRef)[];

/** One shell word whose value is exactly `s`. */
export function shellQuote(s: string): string {
  if (s !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * An output of another service, read when the script runs. `output` is the device's command
 * printing /run/services/outputs/<service>/<path> (a limen applet, like svc).
 */
function outputWord(ref: OutputRef): string {
  noteOutputRef(ref);
  return `"$(output ${shellQuote(ref.service.name)} ${shellQuote(ref.path)})"`;
}

function word(v: string | number | boolean | OutputRef): string {
  if (v instanceof OutputRef) return outputWord(v);
  return shellQuote(String(v));
}

/** A tagged template: `sh\`exec dropbear -p ${port}\`` quotes each interpolated value; lists become several words. */
export function sh(strings: TemplateStringsArray, ...values: ShellValue[]): string {
  let out = strings[0];
  values.forEach((v, i) => {
    out += Array.isArray(v) ? v.map(word).join(" ") : word(v as string | number | boolean | OutputRef);
    out += strings[i + 1];
  });
  return out;
}
