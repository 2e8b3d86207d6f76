// The collated log that the catch-all s6-log keeps: archives (@<tai64n>.s, oldest first) then
// `current`; each line is `@<tai64n> <service> <message>`.
import { listDir, readBytes } from "../lib/fs";
import { decode } from "../lib/utf8";
import { paths } from "./paths";
import { formatStamp, parseTai64n } from "./tai";

/** The log's lines with readable UTC time, only those of `service` when given. */
export function readLog(service?: string): string[] {
  const files = [...listDir(paths.log).filter((f) => f.startsWith("@") && f.endsWith(".s")), "current"];
  const out: string[] = [];
  for (const file of files) {
    const bytes = readBytes(`${paths.log}/${file}`);
    if (bytes === null) continue;
    for (const line of decode(bytes).split("\n")) {
      if (line === "") continue;
      const stamp = parseTai64n(line);
      const rest = stamp === null ? line : line.slice(26);
      // the image's loggers may write "name:" where ours write "name"
      if (service !== undefined && rest.split(" ", 1)[0].replace(/:$/, "") !== service) continue;
      out.push(stamp === null ? line : `${formatStamp(stamp)} ${rest}`);
    }
  }
  return out;
}
