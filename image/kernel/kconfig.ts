// Reading .config files and explaining, from the Kconfig sources, why Kconfig did not keep a
// requested value: unknown symbol, another architecture's symbol, or unmet dependencies.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CommandError, run } from "../lib/run.ts";

/** Symbol (without CONFIG_) to value as written after "=", or "n" for "# CONFIG_X is not set". */
export function parseConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const set = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) values.set(set[1], set[2]);
    const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) values.set(unset[1], "n");
  }
  return values;
}

/** A .config fragment setting each option as requested, sorted: the same options give the same text (and cache key). */
export function configFragment(options: Record<string, string>): string {
  return Object.entries(options)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => (v === "n" ? `# CONFIG_${k} is not set\n` : `CONFIG_${k}=${v}\n`))
    .join("");
}

export interface Mismatch {
  option: string;
  requested: string;
  /** The final value; undefined when the symbol is absent from .config (not visible). */
  got: string | undefined;
}

/** Every requested option whose final value differs; absent counts as "n". */
export function mismatches(requested: Record<string, string>, final: Map<string, string>): Mismatch[] {
  return Object.entries(requested)
    .filter(([k, v]) => (final.get(k) ?? "n") !== v)
    .map(([option, v]) => ({ option, requested: v, got: final.get(option) }));
}

interface Definition {
  file: string;
  line: number;
  /** The entry's own "depends on" and those of the if/menu blocks around it, up the source chain. */
  conditions: string[];
}

/** Reads Kconfig files of one source tree, each once. */
class KconfigTree {
  private readonly files = new Map<string, string[]>();
  constructor(
    readonly srcDir: string,
    readonly arch: string,
  ) {}

  async lines(file: string): Promise<string[]> {
    if (!this.files.has(file)) this.files.set(file, (await readFile(join(this.srcDir, file), "utf8")).split("\n"));
    return this.files.get(file)!;
  }

  /** grep -rnE over the Kconfig files: [file, line number, text] of each hit. */
  async grep(pattern: string): Promise<[string, number, string][]> {
    let out = "";
    try {
      out = (await run(["grep", "-rnE", "--include=Kconfig*", pattern, "."], { cwd: this.srcDir })).stdout;
    } catch (e) {
      if (!(e instanceof CommandError && e.code === 1)) throw e; // grep exits 1 when nothing matches
    }
    return out.split("\n").flatMap((hit) => {
      const m = /^\.\/([^:]+):(\d+):(.*)$/.exec(hit);
      return m ? [[m[1], Number(m[2]), m[3]] as [string, number, string]] : [];
    });
  }

  /** Files of the architecture being built or of no architecture. */
  ours(file: string): boolean {
    return !file.startsWith("arch/") || file.startsWith(`arch/${this.arch}/`);
  }

  /** Conditions of the if and menu blocks open at `line` (1-based) of `file`, then of where the file is sourced. */
  async enclosing(file: string, line: number, depth = 0): Promise<string[]> {
    const lines = await this.lines(file);
    const open: (string | null)[] = [];
    for (let i = 0; i < line - 1; i++) {
      const l = lines[i];
      // block statements start in column 0; indented lines are attributes or help text
      const ifBlock = /^if\s+(.+?)\s*(#.*)?$/.exec(l);
      if (ifBlock) open.push(ifBlock[1]);
      else if (/^(menu\s+"|choice\b)/.test(l))
        open.push(/^\s+depends on\s+(.+)$/.exec(lines[i + 1] ?? "")?.[1]?.trim() ?? null);
      else if (/^(endif|endmenu|endchoice)\b/.test(l)) open.pop();
    }
    const here = open.filter((c): c is string => c !== null);
    if (depth > 8) return here;
    const escaped = file.replace(/[.[\]]/g, "\\$&");
    const parents = (await this.grep(`^[[:space:]]*(o|r)?source "(\\$\\(srctree\\)/)?${escaped}"`)).filter(([f]) =>
      this.ours(f),
    );
    const up = parents[0] ? await this.enclosing(parents[0][0], parents[0][1], depth + 1) : [];
    return [...here, ...up];
  }

  /** Where each symbol is defined, with the conditions it is visible under. */
  async definitions(symbols: string[]): Promise<Map<string, Definition[]>> {
    const found = new Map<string, Definition[]>(symbols.map((s) => [s, []]));
    if (symbols.length === 0) return found;
    for (const [file, line, text] of await this.grep(
      `^[[:space:]]*(menu)?config (${symbols.join("|")})[[:space:]]*$`,
    )) {
      const symbol = /config\s+(\S+)/.exec(text)![1];
      const lines = await this.lines(file);
      const own: string[] = [];
      // the entry's attributes are the indented lines that follow it, up to its help text
      for (
        let i = line;
        i < lines.length && (/^\s/.test(lines[i]) || lines[i] === "") && !/^\s+(---)?help(---)?\s*$/.test(lines[i]);
        i++
      ) {
        const d = /^\s+depends on\s+(.*)$/.exec(lines[i]);
        if (d) own.push(d[1].trim());
      }
      const conditions = this.ours(file) ? [...own, ...(await this.enclosing(file, line))] : own;
      found.get(symbol)?.push({ file, line, conditions });
    }
    return found;
  }
}

const value = (final: Map<string, string>, symbol: string) => `${symbol}=${final.get(symbol) ?? "n"}`;

/** One line of explanation per mismatch, naming the option, what was asked, what Kconfig made of it, and why. */
export async function explain(
  srcDir: string,
  arch: string,
  problems: Mismatch[],
  final: Map<string, string>,
): Promise<string[]> {
  const tree = new KconfigTree(srcDir, arch);
  const defs = await tree.definitions(problems.map((p) => p.option));
  return problems.map((p) => {
    const got =
      p.got === undefined ? "it is absent from the final .config" : p.got === "n" ? "got not set" : `got =${p.got}`;
    const head = `CONFIG_${p.option}: requested ${p.requested === "n" ? "not set" : `=${p.requested}`}, ${got}`;
    const all = defs.get(p.option) ?? [];
    const ours = all.filter((d) => tree.ours(d.file));
    if (all.length === 0) return `${head}: Linux has no such option (misspelled, or removed in this version?)`;
    if (ours.length === 0)
      return `${head}: it exists only for other architectures (${[...new Set(all.map((d) => d.file))].join(", ")}), not ARCH=${arch}`;
    const why = ours.map((d) => {
      const symbols = [...new Set(d.conditions.flatMap((c) => c.match(/\b[A-Z][A-Z0-9_]+\b/g) ?? []))];
      const needs = d.conditions.length
        ? ` needs ${d.conditions.map((c) => `(${c})`).join(" && ")} [${symbols.map((s) => value(final, s)).join(", ")}]`
        : "";
      return `${d.file}:${d.line}${needs}`;
    });
    return `${head}: its dependencies are not met, or a choice or another option overrides it; ${why.join("; ")}`;
  });
}
