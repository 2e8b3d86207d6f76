// The catch-all logger's settings: what the host's configuration compiler writes to
// /etc/limen/logging.json from logging.directory and logging.script, read on the device by init
// (which starts the logger) and by `svc log` (which reads its folder; log.ts). Versioned like the
// service database; shared by both sides, so nothing here needs the device's modules.

export const loggingVersion = 1;

export interface LoggingSettings {
  version: number;
  /** The logger's folder, an absolute path on the device. */
  directory: string;
  /** s6-log directives before the folder, one word each, without quotes. */
  script: string[];
}

/** What applies without the file (a test's root). */
export const defaultLogging: LoggingSettings = {
  version: loggingVersion,
  directory: "/run/log",
  script: ["t", "s100000", "n10"],
};

/** Checks parsed settings (the device cannot afford zod); an error names `source`. */
export function checkLogging(raw: unknown, source: string): LoggingSettings {
  const s = raw as Partial<LoggingSettings> | null;
  if (s?.version !== loggingVersion) throw new Error(`${source}: version is not ${loggingVersion}`);
  if (typeof s.directory !== "string" || !s.directory.startsWith("/"))
    throw new Error(`${source}: directory must be an absolute path`);
  if (!Array.isArray(s.script) || s.script.some((w) => typeof w !== "string" || !/^[^\s'"\\]+$/.test(w)))
    throw new Error(`${source}: script must be a list of words without spaces or quotes`);
  return s as LoggingSettings;
}
