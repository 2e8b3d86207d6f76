// Every option and every template parameter is read by something. The TypeScript checker finds
// where each is declared (the base options, a module's `options`, a template's zod object) and
// every read of it in the host and device code (tests and examples do not count): a property
// access, a destructuring or an element access with a literal key. A value copied into another
// typed object (`modular: o.kernel.modular` into the system description) counts only if that
// object's property is read in turn, so a value carried along and never used is found. Static
// rather than recorded at run time: reads in the outputs' kernel and image builds count
// without building anything. Options the schema accepts only at their default (`notYet`) need no
// reader; their refusal is checked instead.
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { baseOptions } from "../../image/config/options.ts";
import { metaOf, optionLeaves } from "../../image/docs/walk.ts";

const root = join(import.meta.dirname, "../..");

interface Declared {
  /** `boot.tftp.loadAddress`, or `template ntp: makestep.limit`. */
  label: string;
  node: ts.Node;
}

function program(): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  )!;
  // the device side too (init reads the logging settings the compiler writes): checked with its
  // own tsconfig, but its reads of the shared types count
  const device = ts.sys.readDirectory(join(root, "init"), [".ts"]);
  return ts.createProgram([...config.fileNames, ...device], config.options);
}

function isCallTo(checker: ts.TypeChecker, n: ts.Node, name: string, file: string): n is ts.CallExpression {
  if (!ts.isCallExpression(n)) return false;
  const callee = ts.isPropertyAccessExpression(n.expression) ? n.expression.name : n.expression;
  let s = checker.getSymbolAtLocation(callee);
  if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
  const d = s?.declarations?.[0];
  return s?.name === name && d !== undefined && d.getSourceFile().fileName === join(root, file);
}

/** `z.strictObject({...})` under wrappers such as `.nullable().default(…)` or `.refine(…)`: its object literal. */
function zodObjectLiteral(e: ts.Expression): ts.ObjectLiteralExpression | null {
  while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression)) {
    const method = e.expression.name.text;
    if ((method === "strictObject" || method === "object") && ts.isIdentifier(e.expression.expression)) {
      const arg = e.arguments[0];
      return arg && ts.isObjectLiteralExpression(arg) ? arg : null;
    }
    e = e.expression.expression;
  }
  return null;
}

function property(p: ts.ObjectLiteralElementLike, where: string): { name: string; value: ts.Expression | null } {
  if ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && !ts.isComputedPropertyName(p.name))
    return { name: p.name.text, value: ts.isPropertyAssignment(p) ? p.initializer : null };
  throw new Error(`${where}: declare each option as name: schema (found ${p.getText()})`);
}

/** Every declared option and template parameter, by the source node that declares it. */
function declarations(prog: ts.Program): { declared: Declared[]; notYet: Set<string> } {
  const checker = prog.getTypeChecker();
  const declared: Declared[] = [];
  const notYet = new Set<string>();
  const options = (o: ts.ObjectLiteralExpression, path: string[]): void => {
    for (const p of o.properties) {
      const { name, value } = property(p, `options ${path.join(".")}`);
      if (value && ts.isObjectLiteralExpression(value)) options(value, [...path, name]);
      else {
        const label = [...path, name].join(".");
        declared.push({ label, node: p });
        // notYet(…), perhaps with .describe(…) after it
        for (let e: ts.Expression | undefined = value ?? undefined; e && ts.isCallExpression(e);) {
          if (isCallTo(checker, e, "notYet", "image/config/options.ts")) notYet.add(label);
          const callee: ts.Expression = e.expression;
          e = ts.isPropertyAccessExpression(callee) ? callee.expression : undefined;
        }
      }
    }
  };
  const params = (o: ts.ObjectLiteralExpression, template: string, path: string[]): void => {
    for (const p of o.properties) {
      // parameters several templates share, spread from a const holding them (services/ppp/session.ts)
      if (ts.isSpreadAssignment(p) && ts.isIdentifier(p.expression)) {
        let s = checker.getSymbolAtLocation(p.expression);
        if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
        const d = s?.valueDeclaration;
        if (d && ts.isVariableDeclaration(d) && d.initializer && ts.isObjectLiteralExpression(d.initializer)) {
          params(d.initializer, template, path);
          continue;
        }
      }
      const { name, value } = property(p, `template ${template}`);
      const nested = value && zodObjectLiteral(value);
      if (nested) params(nested, template, [...path, name]);
      else declared.push({ label: `template ${template}: ${[...path, name].join(".")}`, node: p });
    }
  };
  for (const sf of sources(prog)) {
    const visit = (n: ts.Node): void => {
      if (isCallTo(checker, n, "defineModule", "image/config/module.ts")) {
        const arg = n.arguments[0];
        const shape =
          arg && ts.isObjectLiteralExpression(arg)
            ? arg.properties.find((p) => p.name?.getText() === "options")
            : undefined;
        if (shape) {
          let value: ts.Expression | undefined = ts.isPropertyAssignment(shape)
            ? shape.initializer
            : ts.isShorthandPropertyAssignment(shape)
              ? shape.name
              : undefined;
          if (value && ts.isIdentifier(value)) {
            let s = checker.getSymbolAtLocation(value);
            if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
            const d = s?.valueDeclaration;
            value = d && ts.isVariableDeclaration(d) ? d.initializer : undefined;
          }
          if (!value || !ts.isObjectLiteralExpression(value))
            throw new Error(`${where(n)}: a module's options must be an object literal (or a const holding one)`);
          options(value, []);
        }
      }
      if (isCallTo(checker, n, "template", "image/config/service.ts")) {
        const name = n.arguments[0].getText().replace(/^["'`]|["'`]$/g, "");
        let schema = n.arguments[1];
        // a schema a template's checks also use may be held in a const beside it
        if (ts.isIdentifier(schema)) {
          const d = checker.getSymbolAtLocation(schema)?.valueDeclaration;
          if (d && ts.isVariableDeclaration(d) && d.initializer) schema = d.initializer;
        }
        const literal = zodObjectLiteral(schema);
        if (!literal)
          throw new Error(
            `${where(n)}: template ${name}'s parameters must be a z.strictObject({...}) (or a const holding one)`,
          );
        params(literal, name, []);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { declared, notYet };
}

function where(n: ts.Node): string {
  const sf = n.getSourceFile();
  return `${relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
}

/** The code that counts as a reader: everything but the tests, the examples and libraries. */
function sources(prog: ts.Program): ts.SourceFile[] {
  return prog
    .getSourceFiles()
    .filter(
      (sf) =>
        !sf.isDeclarationFile &&
        !sf.fileName.includes("/node_modules/") &&
        !/^(test|examples)\//.test(relative(root, sf.fileName)),
    );
}

/** Strips what does not change a value: parentheses, `!`, `as`, `satisfies`. */
function outermost(e: ts.Node): ts.Node {
  let n = e;
  while (
    ts.isParenthesizedExpression(n.parent) ||
    ts.isNonNullExpression(n.parent) ||
    ts.isAsExpression(n.parent) ||
    ts.isSatisfiesExpression(n.parent)
  )
    n = n.parent;
  return n;
}

/** The labels of declarations nothing reads. */
function unread(prog: ts.Program, declared: Declared[]): string[] {
  const checker = prog.getTypeChecker();
  const used = new Set<ts.Node>();
  const copiedTo = new Map<ts.Node, ts.Node[]>();
  const ours = (d: ts.Node) => !d.getSourceFile().isDeclarationFile;

  /** The declarations of property `name` of the type an object literal is written for, if ours. */
  const target = (literal: ts.ObjectLiteralExpression, name: string): ts.Node[] | null => {
    const type = checker.getContextualType(literal);
    const decls = type && checker.getPropertyOfType(type, name)?.declarations;
    return decls && decls.length > 0 && decls.every(ours) ? decls : null;
  };
  /** `from` is read here: used, or copied into a property of another object whose reads count. */
  const read = (from: readonly ts.Node[] | undefined, at: ts.Node, name: string): void => {
    if (!from) return;
    const e = outermost(at);
    const to =
      ts.isPropertyAssignment(e.parent) && e.parent.initializer === e && ts.isObjectLiteralExpression(e.parent.parent)
        ? target(e.parent.parent, name)
        : null;
    for (const d of from) {
      if (to) copiedTo.set(d, [...(copiedTo.get(d) ?? []), ...to]);
      else used.add(d);
    }
  };

  for (const sf of sources(prog)) {
    const visit = (n: ts.Node): void => {
      if (ts.isPropertyAccessExpression(n)) {
        read(checker.getSymbolAtLocation(n.name)?.declarations, n, n.name.text);
      } else if (ts.isElementAccessExpression(n)) {
        const key = checker.getTypeAtLocation(n.argumentExpression);
        const object = checker.getTypeAtLocation(n.expression);
        for (const k of key.isUnion() ? key.types : [key])
          if (k.isStringLiteral()) read(checker.getPropertyOfType(object, k.value)?.declarations, n, k.value);
      } else if (ts.isBindingElement(n) && ts.isObjectBindingPattern(n.parent) && !n.dotDotDotToken) {
        const name = (n.propertyName ?? n.name).getText();
        // `{ x: _x, ...rest }` leaves x out of rest: that is no read
        if (!(ts.isIdentifier(n.name) && n.name.text.startsWith("_")))
          for (const d of checker.getPropertyOfType(checker.getTypeAtLocation(n.parent), name)?.declarations ?? [])
            used.add(d);
      } else if (ts.isSpreadAssignment(n) && ts.isObjectLiteralExpression(n.parent)) {
        // every property spread into a typed object is copied into that object's property
        for (const p of checker.getTypeAtLocation(n.expression).getProperties()) {
          const to = target(n.parent, p.name);
          for (const d of p.declarations ?? []) {
            if (to) copiedTo.set(d, [...(copiedTo.get(d) ?? []), ...to]);
            else used.add(d);
          }
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  const reaches = (d: ts.Node, seen = new Set<ts.Node>()): boolean => {
    if (used.has(d)) return true;
    if (seen.has(d)) return false;
    seen.add(d);
    return (copiedTo.get(d) ?? []).some((t) => reaches(t, seen));
  };
  return declared.filter((d) => !reaches(d.node)).map((d) => `${d.label} (${where(d.node)})`);
}

describe("options and template parameters", () => {
  const prog = program();
  const { declared, notYet } = declarations(prog);

  it("are found: every base option and the parameters of the templates", () => {
    const labels = declared.map((d) => d.label);
    expect(labels).toEqual(expect.arrayContaining(optionLeaves(baseOptions).map((l) => l.path.join("."))));
    expect(labels).toEqual(expect.arrayContaining(["template ntp: makestep.limit", "template ssh: port"]));
  });

  it("are each read by something (or accepted only at their default, for now)", () => {
    expect(
      unread(
        prog,
        declared.filter((d) => !notYet.has(d.label)),
      ),
    ).toEqual([]);
  });

  it("accepted only at their default refuse any other value with a not yet", () => {
    const marked = optionLeaves(baseOptions).filter((l) => metaOf(l.schema).notYet);
    expect(marked.map((l) => l.path.join(".")).sort()).toEqual([...notYet].sort());
    for (const l of marked) {
      const r = l.schema.safeParse(metaOf(l.schema).notYet!.refused);
      expect(r.success, l.path.join(".")).toBe(false);
      expect(r.error?.issues[0].message).toMatch(/^not yet: /);
    }
  });
});
