// The image's kernel module table (../layout.ts kernelModules): for each module a service needs,
// the .ko files to load, its dependencies first; [] for one built into the kernel. The image
// builder writes it for a kernel that builds modules (Debian's, on the emulated devices); an
// image without it has a kernel built from source, with everything it needs built in.
// No qjs imports: the host imports it as it imports database.ts.

export const moduleTableVersion = 1;

export interface ModuleTable {
  version: typeof moduleTableVersion;
  /** Module name -> absolute paths of .ko files on the device, in load order. */
  modules: Record<string, string[]>;
  /**
   * Module name -> the parameters its own file (the last) is loaded with, as insmod takes them
   * ("radios=3"); a table without it gives none.
   */
  parameters?: Record<string, string>;
}

/** Checks a parsed table (the device has no zod); errors name the file and the field. */
export function checkModuleTable(raw: unknown, source: string): ModuleTable {
  const fail = (what: string): never => {
    throw new Error(`kernel module table ${source}: ${what}`);
  };
  if (typeof raw !== "object" || raw === null) fail("is not a JSON object");
  const t = raw as { version?: unknown; modules?: unknown };
  if (t.version !== moduleTableVersion)
    fail(`version ${JSON.stringify(t.version)} is not ${moduleTableVersion}: this svc is too old or too new for it`);
  if (typeof t.modules !== "object" || t.modules === null) fail("has no modules object");
  for (const [name, files] of Object.entries(t.modules as Record<string, unknown>)) {
    if (!Array.isArray(files) || files.some((f) => typeof f !== "string" || !f.startsWith("/")))
      fail(`modules.${name} must be a list of absolute paths`);
  }
  const parameters = (t as { parameters?: unknown }).parameters;
  if (parameters !== undefined) {
    if (typeof parameters !== "object" || parameters === null) fail("parameters must be an object");
    for (const [name, p] of Object.entries(parameters as Record<string, unknown>))
      if (typeof p !== "string" || /[\0\n]/.test(p)) fail(`parameters.${name} must be one line of text`);
  }
  return raw as ModuleTable;
}
