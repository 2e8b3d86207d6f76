// The option reference, OPTIONS.md: the base options, every module's options and every
// template's parameters, each with its type, default and description, made from the zod schemas
// themselves (as the manual's Appendix B is made from Liminix's modules). `npm run docs` writes
// it; test/config/options-doc.test.ts fails when the committed file is stale.
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { format, resolveConfig } from "prettier";
import { z } from "zod";
import type { AnyModule, Templates } from "../config/module.ts";
import { baseOptions } from "../config/options.ts";
import type { AnyTemplate } from "../config/service.ts";
import { metaOf, optionLeaves, paramLeaves, type Leaf } from "./walk.ts";

const root = join(import.meta.dirname, "../..");

/**
 * Every module of services/, by folder: its index.ts's, if it has one, then those of the folder's
 * other files that export one (services/ppp/l2tp.ts, a module of its own sharing the folder's
 * code; services/profiles, a folder of modules without an index.ts).
 */
export async function serviceModules(): Promise<AnyModule[]> {
  const dir = join(root, "services");
  const modules: AnyModule[] = [];
  const defaultOf = async (file: string) =>
    ((await import(pathToFileURL(file).href)) as { default?: AnyModule }).default;
  for (const name of readdirSync(dir).sort()) {
    if (existsSync(join(dir, name, "index.ts"))) {
      const m = await defaultOf(join(dir, name, "index.ts"));
      if (m?.kind !== "module") throw new Error(`services/${name}/index.ts: its default export is not a module`);
      modules.push(m);
    }
    for (const file of readdirSync(join(dir, name)).sort()) {
      if (file === "index.ts" || !file.endsWith(".ts")) continue;
      const other = await defaultOf(join(dir, name, file));
      if (other?.kind === "module") modules.push(other);
    }
  }
  return modules;
}

export function templatesOf(t: Templates): AnyTemplate[] {
  return Object.values(t).flatMap((v) =>
    "params" in v && typeof v.build === "function" ? [v as AnyTemplate] : templatesOf(v as Templates),
  );
}

/** A schema's type in words: "list of string", "one of "fit", "uimage"", "service or null". */
export function typeOf(s: z.ZodType): string {
  const named = metaOf(s).type;
  if (named) return named;
  if (s instanceof z.ZodOptional) return typeOf(s.unwrap() as z.ZodType);
  if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) return typeOf(s.unwrap() as z.ZodType);
  if (s instanceof z.ZodNullable) return `${typeOf(s.unwrap() as z.ZodType)} or null`;
  if (s instanceof z.ZodPipe) return typeOf(s.in as z.ZodType);
  if (s instanceof z.ZodString) return "string";
  if (s instanceof z.ZodBoolean) return "boolean";
  if (s instanceof z.ZodNumber) return s.isInt ? ((s.minValue ?? -1) >= 0 ? "unsigned integer" : "integer") : "number";
  if (s instanceof z.ZodEnum) return `one of ${s.options.map((o) => JSON.stringify(o)).join(", ")}`;
  if (s instanceof z.ZodLiteral) return [...s.values].map((v) => JSON.stringify(v)).join(" or ");
  if (s instanceof z.ZodArray) return `list of ${typeOf(s.element as z.ZodType)}`;
  if (s instanceof z.ZodRecord) return `record of ${typeOf(s.valueType as z.ZodType)}`;
  if (s instanceof z.ZodObject) return `{ ${Object.keys(s.shape).join(", ")} }`;
  if (s instanceof z.ZodUnion) return (s.options as z.ZodType[]).map(typeOf).join(" or ");
  throw new Error(`no words for a zod ${s._zod.def.type} schema: give it .meta({ type })`);
}

/** The default in words: its JSON, "unset" for an optional value without one, "required". */
export function defaultOf(s: z.ZodType): string {
  const r = s.safeParse(undefined);
  if (!r.success) return "required";
  if (r.data === undefined) return "unset";
  return `\`${JSON.stringify(r.data)}\``;
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

function describe(s: z.ZodType): string {
  const { description, notYet } = metaOf(s);
  return [description ?? "", ...(notYet ? [`_Not yet_: ${notYet.why}.`] : [])].join(" ");
}

function table(heading: string, leaves: Leaf[]): string[] {
  return [
    `| ${heading} | Type | Default | Description |`,
    "| --- | --- | --- | --- |",
    ...leaves.map(
      (l) =>
        `| \`${l.path.join(".")}\` | ${cell(typeOf(l.schema))} | ${cell(defaultOf(l.schema))} | ${cell(describe(l.schema))} |`,
    ),
  ];
}

const fileOf = (m: AnyModule) => relative(root, m.file.replace(/:\d+$/, ""));

/** The text of OPTIONS.md, formatted as the repository's prettier check wants it. */
export async function optionsReference(): Promise<string> {
  const lines = [
    "# Options",
    "",
    "<!-- Made by `npm run docs` (image/docs/) from the option and parameter schemas: edit those, not this file. -->",
    "",
    "Every option a configuration can set, and the parameters of every service template, with",
    "type, default and description. Options merge from the modules a configuration imports, its",
    "device and the configuration itself; a template's parameters are checked when the service is",
    'built (`network.svc.link.build({ ifname: "eth0" })`). An option marked _not yet_ accepts only',
    "its default until the feature is built.",
    "",
    "## Base options",
    "",
    ...table("Option", optionLeaves(baseOptions)),
  ];
  for (const m of await serviceModules()) {
    lines.push("", `## Module ${m.name}`, "", `\`${fileOf(m)}\``);
    const options = optionLeaves(m.options);
    if (options.length > 0) lines.push("", "Options:", "", ...table("Option", options));
    for (const t of templatesOf(m.svc))
      lines.push("", `### Template ${t.name}`, "", ...table("Parameter", paramLeaves(t.params)));
  }
  const file = join(root, "OPTIONS.md");
  return format(lines.join("\n") + "\n", { ...(await resolveConfig(file)), filepath: file });
}
