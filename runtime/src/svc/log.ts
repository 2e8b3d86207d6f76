// The collated log that the catch-all s6-log keeps: archives (@<tai64n>.s, oldest first) then
// `current`; each line is `@<tai64n> <service> <message>`.
import { listDir, readBytes } from "../lib/fs";
import { decode } from "../lib/utf8";
import * as std from "qjs:std";
import { checkLogging, defaultLogging, type LoggingSettings } from "./logging";
import { paths } from "./paths";
import { formatStamp, parseTai64n } from "./tai";

/** The catch-all logger's settings, its folder under LIMEN_ROOT. */
export function loggingSettings(): LoggingSettings {
  const text = std.loadFile(paths.logging);
  const s = text === null ? defaultLogging : checkLogging(JSON.parse(text), paths.logging);
  return { ...s, directory: `${paths.root}${s.directory}` };
}

/** The log's lines with readable UTC time, only those of `service` when given. */
export function readLog(service?: string): string[] {
  const dir = loggingSettings().directory;
  const files = [...listDir(dir).filter((f) => f.startsWith("@") && f.endsWith(".s")), "current"];
  const out: string[] = [];
  for (const file of files) {
    const bytes = readBytes(`${dir}/${file}`);
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
