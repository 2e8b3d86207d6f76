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

/** The log's files in order: archives (their names sort by time) then `current`. */
export function logFiles(dir: string): string[] {
  return [...listDir(dir).filter((f) => f.startsWith("@") && f.endsWith(".s")), "current"];
}

/** A line of the log with readable UTC time; null when `service` is given and the line is another's. */
export function showLine(line: string, service?: string): string | null {
  const stamp = parseTai64n(line);
  const rest = stamp === null ? line : line.slice(26);
  // the image's loggers may write "name:" where ours write "name"
  if (service !== undefined && rest.split(" ", 1)[0].replace(/:$/, "") !== service) return null;
  return stamp === null ? line : `${formatStamp(stamp)} ${rest}`;
}

/** The log's lines with readable UTC time, only those of `service` when given. */
export function readLog(service?: string): string[] {
  const dir = loggingSettings().directory;
  const out: string[] = [];
  for (const file of logFiles(dir)) {
    const bytes = readBytes(`${dir}/${file}`);
    if (bytes === null) continue;
    for (const line of decode(bytes).split("\n")) {
      const shown = line === "" ? null : showLine(line, service);
      if (shown !== null) out.push(shown);
    }
  }
  return out;
}
