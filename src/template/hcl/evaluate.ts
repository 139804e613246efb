// Expression evaluator: HCL semantics over typed values, with every error at the range of the
// expression that caused it.
import type { Expr, Range, TemplatePart } from "./ast.js";
import { ConversionError, convert, unify } from "./convert.js";
import { HclError, SuppressedError } from "./diagnostics.js";
import { FunctionError, type FnEnv, type FunctionTable } from "./functions/registry.js";
import { suggest } from "../suggest.js";
import { typeFromExpr } from "./type-expr.js";
import { BOOL, DYNAMIC, NUMBER, STRING, friendlyName, type Type } from "./types.js";
import type { Value } from "./value.js";
import { buildDataSentinel } from "../types.js";
import { usableOutputName } from "../output-names.js";
import {
  NULL,
  bool,
  isMapping,
  isSequence,
  num,
  numberToString,
  objectOf,
  str,
  tupleOf,
  valueEquals,
} from "./value.js";

export interface EvalContext {
  /** Root names: var, local, path, packer, source, build, iterators of `for` and `dynamic`. */
  variables: ReadonlyMap<string, Value>;
  /** undefined: function calls are not allowed here (var-files). */
  functions?: FunctionTable;
  /** Why functions or variables are not available here, for the error message. */
  restriction?: string;
  env: FnEnv;
  /** `root.attr` references whose value failed to evaluate (already reported). */
  poisoned?: ReadonlySet<string>;
  /** Explains unknown names specific to a place (e.g. `env()` outside variable defaults). */
  hints?: ReadonlyMap<string, string>;
  /** The element a splat's `each` expression is applied to. */
  anon?: Value;
  parent?: EvalContext;
}

export function child(ctx: EvalContext, vars: Iterable<[string, Value]>): EvalContext {
  const variables = new Map(ctx.variables);
  for (const [k, v] of vars) variables.set(k, v);
  return { ...ctx, variables, parent: ctx };
}

const ROOT_DESCRIPTIONS: Record<string, string> = {
  var: "input variable",
  local: "local value",
};

export function evaluate(e: Expr, ctx: EvalContext): Value {
  switch (e.kind) {
    case "literal":
      return e.value === null ? NULL : typeof e.value === "boolean" ? bool(e.value) : num(e.value);
    case "template": {
      // A template that is only `${expr}` yields the value itself, not its string form.
      const only = e.parts.length === 1 ? e.parts[0]! : undefined;
      if (only?.kind === "interp") return evaluate(only.expr, ctx);
      return str(renderParts(e.parts, ctx));
    }
    case "variable":
      return lookupRoot(e.name, e.range, ctx);
    case "anon":
      if (!ctx.anon) throw new HclError("Invalid splat", e.range);
      return ctx.anon;
    case "getattr":
      return getAttr(e, ctx);
    case "index":
      return index(evaluate(e.obj, ctx), evaluate(e.key, ctx), e);
    case "splat":
      return splat(e, ctx);
    case "call":
      return call(e, ctx);
    case "conditional":
      return conditional(e, ctx);
    case "binary":
      return binary(e, ctx);
    case "unary": {
      const v = evaluate(e.operand, ctx);
      if (e.op === "!") return bool(!operand(v, BOOL, e.operand.range, "operand").bool);
      return num(-operand(v, NUMBER, e.operand.range, "operand").num);
    }
    case "tuple":
      return tupleOf(e.items.map((x) => evaluate(x, ctx)));
    case "object": {
      const entries = new Map<string, Value>();
      for (const item of e.items) {
        const key =
          item.bareKey !== undefined ? item.bareKey : objectKey(evaluate(item.key, ctx), item.key.range);
        entries.set(key, evaluate(item.value, ctx));
      }
      return objectOf(entries);
    }
    case "for":
      return forExpr(e, ctx);
    case "paren":
      return evaluate(e.expr, ctx);
  }
}

function objectKey(k: Value, range: Range): string {
  if (k.isNull) throw new HclError("Invalid object key", range, "The key expression produced a null value.");
  try {
    return convert(k, STRING).str;
  } catch {
    throw new HclError(
      "Invalid object key",
      range,
      `The key expression produced ${friendlyName(k.type)}, but a string is required.`,
    );
  }
}

function lookupRoot(name: string, range: Range, ctx: EvalContext): Value {
  const v = ctx.variables.get(name);
  if (v) return v;
  if (ctx.restriction)
    throw new HclError("Variables not allowed", range, `Variables may not be used here: ${ctx.restriction}`);
  const hint = ctx.hints?.get(name);
  // A hint says what the name is; a did-you-mean to an unrelated variable would only mislead.
  throw new HclError(
    "Unknown variable",
    range,
    hint ?? `There is no variable named "${name}".`,
    hint === undefined ? suggest(name, [...ctx.variables.keys()]) : undefined,
  );
}

function getAttr(e: Extract<Expr, { kind: "getattr" }>, ctx: EvalContext): Value {
  const obj = evaluate(e.obj, ctx);
  const rootName = e.obj.kind === "variable" ? e.obj.name : undefined;
  if (rootName && ctx.poisoned?.has(`${rootName}.${e.name}`))
    throw new SuppressedError(`${rootName}.${e.name}`);
  if (obj.isNull) {
    throw new HclError(
      "Attempt to get attribute from null value",
      e.nameRange,
      "This value is null, so it does not have any attributes.",
    );
  }
  if (isMapping(obj)) {
    const v = obj.entries.get(e.name);
    if (v) return v;
    // `build.NAME` beyond Packer's keys is a build output, known only at run time.
    if (rootName === "build" && usableOutputName(e.name)) return str(buildDataSentinel(e.name));
    const keys = [...obj.entries.keys()];
    const hint = rootName ? ctx.hints?.get(`${rootName}.${e.name}`) : undefined;
    if (hint) throw new HclError("Invalid reference", e.range, hint);
    if (rootName && ROOT_DESCRIPTIONS[rootName]) {
      const what = ROOT_DESCRIPTIONS[rootName];
      const decl = rootName === "var" ? `variable "${e.name}" {}` : `locals { ${e.name} = … }`;
      throw new HclError(
        `Reference to undeclared ${what}`,
        { ...e.range },
        `${what === "input variable" ? "An" : "A"} ${what} named "${e.name}" has not been declared. Declare it with a \`${decl}\` block.`,
        suggest(e.name, keys).map((k) => `${rootName}.${k}`),
      );
    }
    throw new HclError(
      "Unsupported attribute",
      e.nameRange,
      `This ${obj.type.kind} does not have an attribute named "${e.name}".`,
      suggest(e.name, keys).map((k) => (rootName ? `${rootName}.${k}` : k)),
    );
  }
  if (isSequence(obj)) {
    throw new HclError(
      "Unsupported attribute",
      e.nameRange,
      `This value is a ${friendlyName(obj.type)}, which has no attributes. Did you mean to use a splat, [*].${e.name}?`,
    );
  }
  throw new HclError(
    "Unsupported attribute",
    e.nameRange,
    `Can't access attributes on a primitive-typed value (${friendlyName(obj.type)}).`,
  );
}

function index(coll: Value, key: Value, e: { range: Range; key: Expr }): Value {
  if (coll.isNull)
    throw new HclError(
      "Attempt to index null value",
      e.range,
      "This value is null, so it does not have any indices.",
    );
  if (key.isNull)
    throw new HclError("Invalid index", e.key.range, "Can't use a null value as an indexing key.");
  const kind = coll.type.kind;
  if (kind === "list" || kind === "tuple") {
    let n: number;
    try {
      n = convert(key, NUMBER).num;
    } catch {
      throw new HclError(
        "Invalid index",
        e.key.range,
        `The given key does not identify an element in this collection value: a number is required.`,
      );
    }
    if (!Number.isInteger(n))
      throw new HclError(
        "Invalid index",
        e.key.range,
        "The given key does not identify an element: a whole number is required.",
      );
    const v = coll.items[n];
    if (n < 0 || !v) {
      throw new HclError(
        "Invalid index",
        e.key.range,
        `The given key does not identify an element in this collection value: the collection has ${coll.items.length} element(s), indices start at 0.`,
      );
    }
    return v;
  }
  if (kind === "map" || kind === "object") {
    let k: string;
    try {
      k = convert(key, STRING).str;
    } catch {
      throw new HclError(
        "Invalid index",
        e.key.range,
        "The given key does not identify an element in this collection value: a string is required.",
      );
    }
    const v = coll.entries.get(k);
    if (!v) {
      throw new HclError(
        "Invalid index",
        e.key.range,
        `The given key does not identify an element in this collection value.`,
        suggest(k, [...coll.entries.keys()]),
      );
    }
    return v;
  }
  if (kind === "set") {
    throw new HclError(
      "Invalid index",
      e.key.range,
      "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it is only possible to perform operations across all elements of the set.",
    );
  }
  throw new HclError(
    "Invalid index",
    e.range,
    `This value does not have any indices: it is a ${friendlyName(coll.type)}.`,
  );
}

function splat(e: Extract<Expr, { kind: "splat" }>, ctx: EvalContext): Value {
  const source = evaluate(e.source, ctx);
  if (source.isNull) return tupleOf([]);
  const elems = isSequence(source) ? source.items : [source];
  const out = elems.map((el) => evaluate(e.each, { ...ctx, anon: el }));
  // A splat on a single (non-collection) value yields a one-element tuple, as in HCL.
  return tupleOf(out);
}

function call(e: Extract<Expr, { kind: "call" }>, ctx: EvalContext): Value {
  if (!ctx.functions) {
    throw new HclError(
      "Function calls not allowed",
      e.nameRange,
      `Functions may not be called here: ${ctx.restriction ?? "only literal values are allowed"}`,
    );
  }
  if (e.name === "try") {
    if (e.args.length === 0)
      throw new HclError("Invalid function call", e.range, "try() needs at least one argument.");
    const errors: string[] = [];
    for (const a of e.args) {
      try {
        return evaluate(a, ctx);
      } catch (err) {
        if (err instanceof SuppressedError) throw err;
        if (!(err instanceof HclError)) throw err;
        errors.push(`${err.summary}${err.detail ? `: ${err.detail}` : ""}`);
      }
    }
    throw new HclError(
      "Error in function call",
      e.range,
      `Call to function "try" failed: no expression succeeded:\n- ${errors.join("\n- ")}`,
    );
  }
  if (e.name === "can") {
    if (e.args.length !== 1)
      throw new HclError("Invalid function call", e.range, "can() takes exactly one argument.");
    try {
      evaluate(e.args[0]!, ctx);
      return bool(true);
    } catch (err) {
      if (err instanceof HclError) return bool(false);
      throw err;
    }
  }
  if (e.name === "convert" && ctx.functions.has("convert")) {
    if (e.args.length !== 2)
      throw new HclError(
        "Invalid function call",
        e.range,
        "convert() takes a value and a type, e.g. convert(x, list(string)).",
      );
    const t = typeFromExpr(e.args[1]!);
    const v = evaluate(e.args[0]!, ctx);
    try {
      return convert(v, t);
    } catch (err) {
      if (err instanceof ConversionError) {
        throw new HclError(
          "Invalid function argument",
          e.args[0]!.range,
          `Invalid value for "value" parameter: ${err.describe()}.`,
        );
      }
      throw err;
    }
  }
  const def = ctx.functions.get(e.name);
  if (!def) {
    const hint = ctx.hints?.get(`${e.name}()`);
    throw new HclError(
      "Call to unknown function",
      e.nameRange,
      hint ?? `There is no function named "${e.name}".`,
      hint
        ? []
        : suggest(
            e.name,
            [...ctx.functions.keys()].filter((n) => !ctx.functions!.get(n)!.unsupported),
          ),
    );
  }
  if (def.unsupported) {
    throw new HclError(
      "Function not supported",
      e.nameRange,
      `kiln does not support "${e.name}": ${def.unsupported}`,
    );
  }
  let args = e.args.map((a) => evaluate(a, ctx));
  const argRanges = e.args.map((a) => a.range);
  if (e.expandFinal) {
    const last = args[args.length - 1]!;
    const lastRange = argRanges[argRanges.length - 1]!;
    if (last.isNull || !isSequence(last)) {
      throw new HclError(
        "Invalid expanding argument value",
        lastRange,
        "The expanding argument (indicated by ...) must be of a tuple, list, or set type.",
      );
    }
    args = [...args.slice(0, -1), ...last.items];
    argRanges.splice(argRanges.length - 1, 1, ...last.items.map(() => lastRange));
  }
  const min = def.params.length;
  if (args.length < min || (!def.variadic && args.length > min)) {
    const names = def.params.map((p) => p.name);
    if (def.variadic) names.push(`${def.variadic.name}...`);
    throw new HclError(
      args.length < min ? "Not enough function arguments" : "Too many function arguments",
      e.range,
      `Function "${e.name}" expects ${def.variadic ? "at least " : ""}${min} argument(s) (${names.join(", ")}), got ${args.length}.`,
    );
  }
  const converted = args.map((a, i) => {
    const param = i < min ? def.params[i]! : def.variadic!;
    if (a.isNull) {
      if (param.allowNull) return a;
      throw new HclError(
        "Invalid function argument",
        argRanges[i],
        `Invalid value for "${param.name}" parameter: argument must not be null.`,
      );
    }
    try {
      return convert(a, param.type);
    } catch (err) {
      if (err instanceof ConversionError) {
        throw new HclError(
          "Invalid function argument",
          argRanges[i],
          `Invalid value for "${param.name}" parameter: ${err.describe()}.`,
        );
      }
      throw err;
    }
  });
  try {
    return def.impl(converted, ctx.env);
  } catch (err) {
    if (err instanceof FunctionError) {
      const at = err.arg !== undefined ? argRanges[err.arg] : undefined;
      throw new HclError(
        "Error in function call",
        at ?? e.range,
        `Call to function "${e.name}" failed: ${err.message}`,
      );
    }
    if (err instanceof ConversionError) {
      throw new HclError(
        "Error in function call",
        e.range,
        `Call to function "${e.name}" failed: ${err.describe()}.`,
      );
    }
    throw err;
  }
}

function conditional(e: Extract<Expr, { kind: "conditional" }>, ctx: EvalContext): Value {
  const c = evaluate(e.cond, ctx);
  if (c.isNull)
    throw new HclError(
      "Null condition",
      e.cond.range,
      "The condition value is null. Conditions must either be true or false.",
    );
  const cond = operand(c, BOOL, e.cond.range, "condition").bool;
  const chosen = evaluate(cond ? e.then : e.else, ctx);
  const other = cond ? e.else : e.then;
  let otherType: Type | undefined = staticType(other);
  if (!otherType) {
    try {
      otherType = evaluate(other, ctx).type;
    } catch (err) {
      // Errors in the branch not taken are not reported, as in HCL.
      if (!(err instanceof HclError) && !(err instanceof SuppressedError)) throw err;
      otherType = DYNAMIC;
    }
  }
  const u = unify([chosen.type, otherType]);
  if (!u) {
    throw new HclError(
      "Inconsistent conditional result types",
      e.range,
      `The true and false result expressions must have consistent types: ${friendlyName(cond ? chosen.type : otherType)} and ${friendlyName(cond ? otherType : chosen.type)}.`,
    );
  }
  try {
    return convert(chosen, u);
  } catch {
    return chosen;
  }
}

/** The type of an expression when it is known without evaluating it (literals, string templates). */
function staticType(e: Expr): Type | undefined {
  switch (e.kind) {
    case "literal":
      return e.value === null ? DYNAMIC : typeof e.value === "boolean" ? BOOL : NUMBER;
    case "template":
      return e.parts.length === 1 && e.parts[0]!.kind === "interp" ? undefined : STRING;
    case "paren":
      return staticType(e.expr);
    default:
      return undefined;
  }
}

function operand(v: Value, t: Type, range: Range, what: string): Value {
  if (v.isNull)
    throw new HclError(
      "Invalid operand",
      range,
      `Unsuitable value for ${what}: a ${t.kind} is required, got null.`,
    );
  try {
    return convert(v, t);
  } catch (err) {
    if (err instanceof ConversionError)
      throw new HclError("Invalid operand", range, `Unsuitable value for ${what}: ${err.describe()}.`);
    throw err;
  }
}

function binary(e: Extract<Expr, { kind: "binary" }>, ctx: EvalContext): Value {
  const l = evaluate(e.left, ctx);
  switch (e.op) {
    case "&&": {
      if (!operand(l, BOOL, e.left.range, "left operand").bool) return bool(false);
      return bool(operand(evaluate(e.right, ctx), BOOL, e.right.range, "right operand").bool);
    }
    case "||": {
      if (operand(l, BOOL, e.left.range, "left operand").bool) return bool(true);
      return bool(operand(evaluate(e.right, ctx), BOOL, e.right.range, "right operand").bool);
    }
    case "==":
      return bool(valueEquals(l, evaluate(e.right, ctx)));
    case "!=":
      return bool(!valueEquals(l, evaluate(e.right, ctx)));
  }
  const r = evaluate(e.right, ctx);
  const a = operand(l, NUMBER, e.left.range, "left operand").num;
  const b = operand(r, NUMBER, e.right.range, "right operand").num;
  switch (e.op) {
    case "<":
      return bool(a < b);
    case "<=":
      return bool(a <= b);
    case ">":
      return bool(a > b);
    case ">=":
      return bool(a >= b);
    case "+":
      return num(a + b);
    case "-":
      return num(a - b);
    case "*":
      return num(a * b);
    case "/":
      if (b === 0) throw new HclError("Division by zero", e.right.range, "Can't divide by zero.");
      return num(a / b);
    case "%":
      if (b === 0)
        throw new HclError(
          "Division by zero",
          e.right.range,
          "Can't use zero as the divisor of a modulo operation.",
        );
      return num(a % b);
  }
}

function iterate(coll: Value, range: Range): [Value, Value][] {
  if (coll.isNull)
    throw new HclError(
      "Iteration over null value",
      range,
      "A null value cannot be used as the collection in a 'for' expression.",
    );
  if (isSequence(coll)) {
    return coll.items.map((v, i) => [coll.type.kind === "set" ? v : num(i), v]);
  }
  if (isMapping(coll)) return [...coll.entries].map(([k, v]) => [str(k), v]);
  throw new HclError(
    "Iteration over non-iterable value",
    range,
    `A value of type ${friendlyName(coll.type)} cannot be used as the collection in a 'for' expression.`,
  );
}

function forExpr(e: Extract<Expr, { kind: "for" }>, ctx: EvalContext): Value {
  const pairs = iterate(evaluate(e.coll, ctx), e.coll.range);
  const values: Value[] = [];
  const groups = new Map<string, Value[]>();
  const entries = new Map<string, Value>();
  for (const [k, v] of pairs) {
    const vars: [string, Value][] = [[e.valueVar, v]];
    if (e.keyVar !== undefined) vars.push([e.keyVar, k]);
    const inner = child(ctx, vars);
    if (e.cond) {
      const c = evaluate(e.cond, inner);
      if (c.isNull)
        throw new HclError(
          "Condition is null",
          e.cond.range,
          "The value of the 'if' clause must not be null.",
        );
      if (!operand(c, BOOL, e.cond.range, "the 'if' clause").bool) continue;
    }
    if (!e.keyExpr) {
      values.push(evaluate(e.valueExpr, inner));
      continue;
    }
    const key = objectKey(evaluate(e.keyExpr, inner), e.keyExpr.range);
    const val = evaluate(e.valueExpr, inner);
    if (e.group) {
      const g = groups.get(key);
      if (g) g.push(val);
      else groups.set(key, [val]);
    } else {
      if (entries.has(key)) {
        throw new HclError(
          "Duplicate object key",
          e.keyExpr.range,
          `Two different items produced the key "${key}" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.`,
        );
      }
      entries.set(key, val);
    }
  }
  if (!e.keyExpr) return tupleOf(values);
  if (e.group) return objectOf([...groups].map(([k, vs]) => [k, tupleOf(vs)]));
  return objectOf(entries);
}

function renderParts(parts: TemplatePart[], ctx: EvalContext): string {
  let out = "";
  for (const part of parts) {
    switch (part.kind) {
      case "lit":
        out += part.text;
        break;
      case "interp":
        out += interpolate(evaluate(part.expr, ctx), part.expr.range);
        break;
      case "if": {
        const c = evaluate(part.cond, ctx);
        if (c.isNull)
          throw new HclError(
            "Null condition",
            part.cond.range,
            "The condition of an `%{ if }` directive must not be null.",
          );
        const b = operand(c, BOOL, part.cond.range, "the condition").bool;
        if (b) out += renderParts(part.then, ctx);
        else if (part.else) out += renderParts(part.else, ctx);
        break;
      }
      case "for":
        for (const [k, v] of iterate(evaluate(part.coll, ctx), part.coll.range)) {
          const vars: [string, Value][] = [[part.valueVar, v]];
          if (part.keyVar !== undefined) vars.push([part.keyVar, k]);
          out += renderParts(part.body, child(ctx, vars));
        }
        break;
    }
  }
  return out;
}

function interpolate(v: Value, range: Range): string {
  if (v.isNull) {
    throw new HclError(
      "Invalid template interpolation value",
      range,
      "The expression result is null. Cannot include a null value in a string template.",
    );
  }
  switch (v.type.kind) {
    case "string":
      return v.str;
    case "number":
      return numberToString(v.num);
    case "bool":
      return v.bool ? "true" : "false";
    default:
      throw new HclError(
        "Invalid template interpolation value",
        range,
        `Cannot include the given value in a string template: string required, got ${friendlyName(v.type)}. Use jsonencode() or join() to turn it into a string.`,
      );
  }
}
