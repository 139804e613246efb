// Local values: `locals { a = … }` and `local "a" { expression = …, sensitive = … }`. They may
// refer to each other in any order; they are evaluated in dependency order and a cycle is an
// error naming the whole cycle.
import { suggest } from "../suggest.js";
import type { Block, Expr, Range, SourceFile, TemplatePart } from "./ast.js";
import { checkBody, labelsOk } from "./body.js";
import { error, reportError, type HclLoadContext } from "./context.js";
import { convert } from "./convert.js";
import { evaluate, type EvalContext } from "./evaluate.js";
import { BOOL } from "./types.js";
import { objectOf, type Value } from "./value.js";

interface LocalDef {
  name: string;
  expr: Expr;
  range: Range;
  sensitive: boolean;
}

export interface Locals {
  value: Value;
  poisoned: Set<string>;
  sensitive: Value[];
}

function collect(lctx: HclLoadContext, files: SourceFile[], literal: EvalContext): LocalDef[] {
  const defs: LocalDef[] = [];
  const byName = new Map<string, LocalDef>();
  const add = (d: LocalDef): void => {
    const prev = byName.get(d.name);
    if (prev) {
      error(
        lctx,
        d.range,
        `Duplicate local value "${d.name}"`,
        `The local value "${d.name}" was already defined at ${prev.range.file}:${prev.range.start.line}:${prev.range.start.column}.`,
      );
      return;
    }
    byName.set(d.name, d);
    defs.push(d);
  };
  for (const f of files) {
    for (const item of f.body.items) {
      if (item.kind !== "block") continue;
      if (item.type === "locals") {
        if (!labelsOk(lctx, item, [], "locals { name = … }")) continue;
        for (const a of item.body.items) {
          if (a.kind === "block") {
            error(
              lctx,
              a.typeRange,
              "Unsupported block type",
              "A locals block holds only `name = expression` arguments.",
            );
            continue;
          }
          add({ name: a.name, expr: a.expr, range: a.nameRange, sensitive: false });
        }
      } else if (item.type === "local") {
        const d = localBlock(lctx, item, literal);
        if (d) add(d);
      }
    }
  }
  return defs;
}

function localBlock(lctx: HclLoadContext, block: Block, literal: EvalContext): LocalDef | undefined {
  if (!labelsOk(lctx, block, ["name"], 'local "name" { expression = … }')) return undefined;
  const items = checkBody(
    lctx,
    block.body.items.map((item) => ({ item, ctx: literal })),
    { attributes: ["expression", "sensitive"], blocks: [], where: "a local block" },
  );
  let expr: Expr | undefined;
  let sensitive = false;
  for (const { item } of items) {
    if (item.kind !== "attribute") continue;
    if (item.name === "expression") expr = item.expr;
    else {
      try {
        sensitive = convert(evaluate(item.expr, literal), BOOL).bool;
      } catch (e) {
        reportError(lctx, e);
      }
    }
  }
  if (!expr) {
    error(
      lctx,
      block.headerRange,
      "Missing required argument",
      'A local block needs "expression": the value of the local.',
    );
    return undefined;
  }
  return { name: block.labels[0]!.value, expr, range: block.headerRange, sensitive };
}

/** Names of the locals an expression refers to (`local.x`, `local["x"]`). */
export function localRefs(e: Expr, out: Map<string, Range> = new Map()): Map<string, Range> {
  const visitParts = (parts: TemplatePart[]): void => {
    for (const p of parts) {
      if (p.kind === "interp") localRefs(p.expr, out);
      else if (p.kind === "if") {
        localRefs(p.cond, out);
        visitParts(p.then);
        if (p.else) visitParts(p.else);
      } else if (p.kind === "for") {
        localRefs(p.coll, out);
        visitParts(p.body);
      }
    }
  };
  switch (e.kind) {
    case "getattr":
      if (e.obj.kind === "variable" && e.obj.name === "local") out.set(e.name, e.range);
      else localRefs(e.obj, out);
      break;
    case "index":
      if (
        e.obj.kind === "variable" &&
        e.obj.name === "local" &&
        e.key.kind === "template" &&
        e.key.parts.every((p) => p.kind === "lit")
      ) {
        out.set(e.key.parts.map((p) => (p.kind === "lit" ? p.text : "")).join(""), e.range);
      } else localRefs(e.obj, out);
      localRefs(e.key, out);
      break;
    case "template":
      visitParts(e.parts);
      break;
    case "splat":
      localRefs(e.source, out);
      localRefs(e.each, out);
      break;
    case "call":
      e.args.forEach((a) => localRefs(a, out));
      break;
    case "conditional":
      localRefs(e.cond, out);
      localRefs(e.then, out);
      localRefs(e.else, out);
      break;
    case "binary":
      localRefs(e.left, out);
      localRefs(e.right, out);
      break;
    case "unary":
      localRefs(e.operand, out);
      break;
    case "tuple":
      e.items.forEach((x) => localRefs(x, out));
      break;
    case "object":
      e.items.forEach((it) => {
        localRefs(it.key, out);
        localRefs(it.value, out);
      });
      break;
    case "for":
      localRefs(e.coll, out);
      if (e.keyExpr) localRefs(e.keyExpr, out);
      localRefs(e.valueExpr, out);
      if (e.cond) localRefs(e.cond, out);
      break;
    case "paren":
      localRefs(e.expr, out);
      break;
    default:
      break;
  }
  return out;
}

/**
 * Evaluates every local in dependency order. `base` holds var/path/packer; the `local` object is
 * filled in as locals are evaluated.
 */
export function resolveLocals(
  lctx: HclLoadContext,
  files: SourceFile[],
  base: EvalContext,
  literal: EvalContext,
): Locals {
  const defs = collect(lctx, files, literal);
  const byName = new Map(defs.map((d) => [d.name, d]));
  const values = new Map<string, Value>();
  const poisoned = new Set<string>(base.poisoned ?? []);
  const sensitive: Value[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];

  const visit = (d: LocalDef): void => {
    const s = state.get(d.name);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(d.name)), d.name];
      error(
        lctx,
        d.range,
        "Cycle in local values",
        `The local values refer to each other in a cycle: ${cycle.map((n) => `local.${n}`).join(" → ")}. Break the cycle by computing one of them without the others.`,
      );
      for (const n of cycle) poisoned.add(`local.${n}`);
      return;
    }
    state.set(d.name, "visiting");
    stack.push(d.name);
    for (const [dep, range] of localRefs(d.expr)) {
      const target = byName.get(dep);
      if (target) visit(target);
      else {
        error(
          lctx,
          range,
          "Reference to undeclared local value",
          `A local value named "${dep}" has not been declared. Declare it with a \`locals { ${dep} = … }\` block.`,
          suggest(dep, [...byName.keys()]).map((n) => `local.${n}`),
        );
        poisoned.add(`local.${dep}`);
      }
    }
    stack.pop();
    state.set(d.name, "done");
    if (poisoned.has(`local.${d.name}`)) return;
    const ctx: EvalContext = {
      ...base,
      variables: new Map([...base.variables, ["local", objectOf(values)]]),
      poisoned,
    };
    try {
      const v = evaluate(d.expr, ctx);
      values.set(d.name, v);
      if (d.sensitive) sensitive.push(v);
    } catch (e) {
      reportError(lctx, e);
      poisoned.add(`local.${d.name}`);
    }
  };
  for (const d of defs) visit(d);
  return { value: objectOf(values), poisoned, sensitive };
}
