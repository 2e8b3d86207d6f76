// The declared options and template parameters as lists of leaves, for the option reference
// (image/docs/main.ts) and the tests that check every one is described and read.
import { z } from "zod";
import type { OptionShape } from "../config/module.ts";

export interface Leaf {
  /** `["boot", "tftp", "loadAddress"]`. */
  path: string[];
  schema: z.ZodType;
  /** A template parameter that is an object: its fields follow it as leaves of their own. */
  group?: boolean;
}

/** What `notYet` (image/config/options.ts) records: a value the schema refuses, and why. */
export interface NotYet {
  refused: unknown;
  why: string;
}

interface Meta {
  description?: string;
  /** The type in words, where the schema's own would say too little (a custom check). */
  type?: string;
  notYet?: NotYet;
}

export function metaOf(schema: z.ZodType): Meta {
  return (schema.meta() as Meta | undefined) ?? {};
}

function isSchema(v: z.ZodType | OptionShape): v is z.ZodType {
  return v instanceof z.ZodType;
}

/** Every option of a shape: a leaf is a schema, a plain object a group. */
export function optionLeaves(shape: OptionShape, path: string[] = []): Leaf[] {
  return Object.entries(shape).flatMap(([k, v]) =>
    isSchema(v) ? [{ path: [...path, k], schema: v }] : optionLeaves(v, [...path, k]),
  );
}

/** The object under optional, nullable and default wrappers, if it is one. */
function objectOf(schema: z.ZodType): z.ZodObject | null {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault)
    s = s.unwrap() as z.ZodType;
  return s instanceof z.ZodObject ? s : null;
}

/** Every parameter of a template: an object parameter's fields are parameters of their own. */
export function paramLeaves(params: z.ZodType, path: string[] = []): Leaf[] {
  const object = objectOf(params);
  if (!object) throw new Error("a template's parameters must be an object schema");
  return Object.entries(object.shape as Record<string, z.ZodType>).flatMap(([k, v]) =>
    objectOf(v)
      ? [{ path: [...path, k], schema: v, group: true }, ...paramLeaves(v, [...path, k])]
      : [{ path: [...path, k], schema: v }],
  );
}
