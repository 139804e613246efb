// Input variables: `variable` and `variables` blocks, then values by Packer's precedence:
// default < PKR_VAR_<name> < *.auto.pkrvars.* (lexical) < -var-file (in order) < -var (in order;
// -var always beats -var-file, as Packer 1.6.6 does whatever the order on the command line).
import type { VariableDecl } from "../types.js";
import { suggest } from "../suggest.js";
import { toSourcePos, type Block, type Expr, type Range, type SourceFile } from "./ast.js";
import { error, reportError, type HclLoadContext } from "./context.js";
import { ConversionError, convert, unify } from "./convert.js";
import { HclError } from "./diagnostics.js";
import { evaluate, type EvalContext } from "./evaluate.js";
import { FUNCTIONS, withEnv } from "./functions/index.js";
import { parseExpression } from "./parser.js";
import { typeFromExpr } from "./type-expr.js";
import { BOOL, DYNAMIC, STRING, friendlyName, isPrimitive, list, map, type Type } from "./types.js";
import type { Value } from "./value.js";
import { fromJS, leafStrings, objectOf, toJS } from "./value.js";
import { checkBody, labelsOk } from "./body.js";

interface Validation {
  condition: Expr;
  message?: Expr;
  range: Range;
}

interface Declaration {
  name: string;
  range: Range;
  type: Type;
  typeGiven: boolean;
  default?: Value;
  defaultRange?: Range;
  defaultFailed: boolean;
  description?: string;
  sensitive: boolean;
  validations: Validation[];
  value?: Value;
  /** Where the value came from, for messages: a range in a file, or a command-line label. */
  origin?: { range?: Range; label: string };
  failed: boolean;
}

export interface VarFile {
  path: string;
  text: string;
  /** Parsed HCL var-file (undefined for .pkrvars.json). */
  file?: SourceFile;
  auto: boolean;
}

export interface Variables {
  decls: VariableDecl[];
  /** The `var` object. */
  value: Value;
  /** `var.x` names whose value failed (already reported). */
  poisoned: Set<string>;
  sensitive: Value[];
}

const VARIABLE_SCHEMA = {
  attributes: ["type", "default", "description", "sensitive"],
  blocks: ["validation"],
  where: "a variable block",
};

export function defaultsContext(lctx: HclLoadContext): EvalContext {
  return {
    variables: new Map(),
    functions: withEnv(FUNCTIONS, lctx.opts.env),
    env: lctx.fnEnv,
    restriction: "a variable's default cannot refer to other variables or locals; use a local value for that",
  };
}

/** Var-files and -var values hold literal values only. */
function literalContext(lctx: HclLoadContext): EvalContext {
  return {
    variables: new Map(),
    env: lctx.fnEnv,
    restriction: "values of variables given in var-files and on the command line must be literal values",
  };
}

function literalString(lctx: HclLoadContext, e: Expr, what: string): string | undefined {
  try {
    return convert(evaluate(e, literalContext(lctx)), STRING).str;
  } catch (err) {
    if (err instanceof ConversionError) {
      error(lctx, e.range, `Invalid ${what}`, `${what} must be a string.`);
      return undefined;
    }
    reportError(lctx, err);
    return undefined;
  }
}

function declareBlock(lctx: HclLoadContext, block: Block): Declaration | undefined {
  if (!labelsOk(lctx, block, ["name"], 'variable "image" { default = "debian:12" }')) return undefined;
  const name = block.labels[0]!.value;
  const decl: Declaration = {
    name,
    range: block.headerRange,
    type: DYNAMIC,
    typeGiven: false,
    defaultFailed: false,
    sensitive: false,
    validations: [],
    failed: false,
  };
  const items = checkBody(
    lctx,
    block.body.items.map((item) => ({ item, ctx: literalContext(lctx) })),
    VARIABLE_SCHEMA,
  );
  let defaultExpr: Expr | undefined;
  for (const { item } of items) {
    if (item.kind === "block") {
      decl.validations.push(...readValidation(lctx, item));
      continue;
    }
    switch (item.name) {
      case "type":
        try {
          decl.type = typeFromExpr(item.expr);
          decl.typeGiven = true;
        } catch (e) {
          reportError(lctx, e);
          decl.failed = true;
        }
        break;
      case "default":
        defaultExpr = item.expr;
        break;
      case "description": {
        const d = literalString(lctx, item.expr, "description");
        if (d !== undefined) decl.description = d;
        break;
      }
      case "sensitive":
        try {
          decl.sensitive = convert(evaluate(item.expr, literalContext(lctx)), BOOL).bool;
        } catch (e) {
          if (e instanceof ConversionError)
            error(lctx, item.expr.range, "Invalid sensitive value", "sensitive must be true or false.");
          else reportError(lctx, e);
        }
        break;
    }
  }
  if (defaultExpr) {
    decl.defaultRange = defaultExpr.range;
    try {
      let v = evaluate(defaultExpr, defaultsContext(lctx));
      if (decl.typeGiven) v = convertFor(decl, v, defaultExpr.range);
      decl.default = v;
      if (!decl.typeGiven && !v.isNull) decl.type = typeOfDefault(v);
    } catch (e) {
      reportError(lctx, e);
      decl.defaultFailed = true;
    }
  }
  return decl;
}

function readValidation(lctx: HclLoadContext, block: Block): Validation[] {
  if (!labelsOk(lctx, block, [], 'validation { condition = …, error_message = "…" }')) return [];
  let condition: Expr | undefined;
  let message: Expr | undefined;
  const items = checkBody(
    lctx,
    block.body.items.map((item) => ({ item, ctx: literalContext(lctx) })),
    { attributes: ["condition", "error_message"], blocks: [], where: "a validation block" },
  );
  for (const { item } of items) {
    if (item.kind !== "attribute") continue;
    if (item.name === "condition") condition = item.expr;
    else message = item.expr;
  }
  if (!condition) {
    error(
      lctx,
      block.headerRange,
      "Missing required argument",
      'A validation block needs "condition", an expression that is true for valid values.',
    );
    return [];
  }
  const v: Validation = { condition, range: block.headerRange };
  if (message) v.message = message;
  return [v];
}

function convertFor(decl: Declaration, v: Value, range: Range | undefined, label?: string): Value {
  try {
    return convert(v, decl.type);
  } catch (e) {
    if (e instanceof ConversionError) {
      throw new HclError(
        `Invalid value for variable "${decl.name}"`,
        range,
        `${label ? `${label}: ` : ""}the variable's type is ${friendlyName(decl.type)}: ${e.describe()}.`,
      );
    }
    throw e;
  }
}

/** Declarations from `variable "x" {}` and `variables { x = … }` blocks across all files. */
function collect(lctx: HclLoadContext, files: SourceFile[]): Declaration[] {
  const decls: Declaration[] = [];
  const byName = new Map<string, Declaration>();
  const add = (d: Declaration): void => {
    const prev = byName.get(d.name);
    if (prev) {
      error(
        lctx,
        d.range,
        `Duplicate variable "${d.name}"`,
        `The variable "${d.name}" was already declared at ${where(prev.range)}.`,
      );
      return;
    }
    byName.set(d.name, d);
    decls.push(d);
  };
  for (const f of files) {
    for (const item of f.body.items) {
      if (item.kind !== "block") continue;
      if (item.type === "variable") {
        const d = declareBlock(lctx, item);
        if (d) add(d);
      } else if (item.type === "variables") {
        if (!labelsOk(lctx, item, [], 'variables { image = "debian:12" }')) continue;
        for (const attr of item.body.items) {
          if (attr.kind === "block") {
            error(
              lctx,
              attr.typeRange,
              "Unsupported block type",
              'A variables block holds only `name = default` arguments; declare validations in a variable "name" {} block.',
            );
            continue;
          }
          const d: Declaration = {
            name: attr.name,
            range: attr.nameRange,
            type: DYNAMIC,
            typeGiven: false,
            defaultFailed: false,
            sensitive: false,
            validations: [],
            failed: false,
            defaultRange: attr.expr.range,
          };
          try {
            d.default = evaluate(attr.expr, defaultsContext(lctx));
            if (!d.default.isNull) d.type = typeOfDefault(d.default);
          } catch (e) {
            reportError(lctx, e);
            d.defaultFailed = true;
          }
          add(d);
        }
      }
    }
  }
  return decls;
}

/**
 * Without `type`, a variable takes its default's type, generalised so that other values of the
 * same kind fit: a tuple of strings becomes list(string), an object of numbers map(number).
 */
function typeOfDefault(v: Value): Type {
  if (isPrimitive(v.type)) return v.type;
  const elems =
    v.type.kind === "tuple"
      ? v.type.elems
      : v.type.kind === "object"
        ? [...v.type.attrs.values()]
        : undefined;
  if (!elems) return v.type;
  const u = unify(elems);
  if (!u || u.kind === "dynamic") return DYNAMIC;
  return v.type.kind === "tuple" ? list(u) : map(u);
}

function where(r: Range): string {
  return `${r.file}:${r.start.line}:${r.start.column}`;
}

/** A raw string from the environment or the command line, read according to the variable's type. */
function fromRaw(lctx: HclLoadContext, decl: Declaration, raw: string, label: string): Value {
  if (decl.type.kind === "string" || decl.type.kind === "dynamic") return fromJS(raw);
  // Numbers and bools convert from the text; only collections are written as HCL expressions.
  if (isPrimitive(decl.type)) return convertFor(decl, fromJS(raw), undefined, label);
  let expr: Expr;
  try {
    expr = parseExpression(raw, label);
  } catch (e) {
    if (e instanceof HclError) {
      throw new HclError(
        `Invalid value for variable "${decl.name}"`,
        undefined,
        `${label}: ${JSON.stringify(raw)} is not a valid ${friendlyName(decl.type)} value: ${e.summary}${e.detail ? ` (${e.detail})` : ""}.`,
      );
    }
    throw e;
  }
  try {
    return convertFor(decl, evaluate(expr, literalContext(lctx)), undefined, label);
  } catch (e) {
    if (e instanceof HclError && e.range?.file === label) {
      throw new HclError(
        `Invalid value for variable "${decl.name}"`,
        undefined,
        `${label}: ${e.summary}${e.detail ? `: ${e.detail}` : ""}`,
      );
    }
    throw e;
  }
}

export function resolveVariables(lctx: HclLoadContext, files: SourceFile[], varFiles: VarFile[]): Variables {
  const decls = collect(lctx, files);
  const byName = new Map(decls.map((d) => [d.name, d]));
  // Every value given for a sensitive variable is registered, valid or not: an error about it
  // may quote it.
  const secret = (d: Declaration, v: Value | string): void => {
    if (!d.sensitive) return;
    for (const leaf of typeof v === "string" ? [v] : leafStrings(v)) lctx.opts.onSecret?.(leaf);
  };
  const names = decls.map((d) => d.name);
  const assign = (decl: Declaration, f: () => Value, origin: { range?: Range; label: string }): void => {
    try {
      decl.value = f();
      decl.origin = origin;
      decl.failed = false;
    } catch (e) {
      reportError(lctx, e);
      decl.failed = true;
    }
  };
  const unknown = (name: string, range: Range | undefined, label: string): void => {
    error(
      lctx,
      range,
      `Undefined variable "${name}"`,
      `${label} sets "${name}", but no variable of that name is declared. Declare it with variable "${name}" {} in a .pkr.hcl file.${names.length && !suggest(name, names).length ? ` Declared variables: ${names.join(", ")}.` : ""}`,
      suggest(name, names),
    );
  };

  // PKR_VAR_<name>: undeclared names are ignored (the environment holds unrelated variables).
  for (const d of decls) {
    const raw = lctx.opts.env[`PKR_VAR_${d.name}`];
    if (raw !== undefined) secret(d, raw);
    if (raw !== undefined)
      assign(d, () => fromRaw(lctx, d, raw, `PKR_VAR_${d.name}`), {
        label: `the environment variable PKR_VAR_${d.name}`,
      });
  }
  // Auto var-files first (lexical order), then -var-file in the order given.
  const ordered = [...varFiles.filter((f) => f.auto), ...varFiles.filter((f) => !f.auto)];
  for (const vf of ordered) {
    if (vf.file) {
      for (const item of vf.file.body.items) {
        if (item.kind === "block") {
          error(
            lctx,
            item.typeRange,
            "Unexpected block in a var-file",
            "A var-file holds only `name = value` assignments; declare variables in .pkr.hcl files.",
          );
          continue;
        }
        const d = byName.get(item.name);
        if (!d) {
          unknown(item.name, item.nameRange, `The var-file ${vf.path}`);
          continue;
        }
        assign(d, () => convertFor(d, evaluate(item.expr, literalContext(lctx)), item.expr.range), {
          range: item.expr.range,
          label: vf.path,
        });
      }
    } else {
      let data: unknown;
      try {
        data = JSON.parse(vf.text);
      } catch (e) {
        error(
          lctx,
          { file: vf.path, start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } },
          "Invalid JSON var-file",
          (e as Error).message,
        );
        continue;
      }
      if (data === null || typeof data !== "object" || Array.isArray(data)) {
        error(
          lctx,
          undefined,
          `Invalid JSON var-file ${vf.path}`,
          'A JSON var-file is an object of variable names to values, e.g. {"image": "debian:12"}.',
        );
        continue;
      }
      for (const [k, raw] of Object.entries(data as Record<string, unknown>)) {
        const range = jsonKeyRange(vf, k);
        const d = byName.get(k);
        if (!d) {
          unknown(k, range, `The var-file ${vf.path}`);
          continue;
        }
        assign(d, () => convertFor(d, fromJS(raw), range), { range, label: vf.path });
      }
    }
  }
  for (const [name, raw] of lctx.opts.vars) {
    const d = byName.get(name);
    if (!d) {
      unknown(name, undefined, `-var ${name}=…`);
      continue;
    }
    secret(d, raw);
    assign(d, () => fromRaw(lctx, d, raw, `-var ${name}`), { label: `-var ${name}` });
  }

  const poisoned = new Set<string>();
  const entries: [string, Value][] = [];
  const out: VariableDecl[] = [];
  const sensitive: Value[] = [];
  for (const d of decls) {
    let value = d.value;
    if (value === undefined && !d.failed) {
      if (d.default !== undefined) {
        value = d.default;
        if (d.defaultRange) d.origin = { range: d.defaultRange, label: "the default" };
      } else if (!d.defaultFailed && !lctx.opts.allowUnsetRequired) {
        error(
          lctx,
          d.range,
          `Unset variable "${d.name}"`,
          `A used variable must be set or have a default value. Set it with -var ${d.name}=…, in a var-file (-var-file=FILE or *.auto.pkrvars.hcl: ${d.name} = …), or with the environment variable PKR_VAR_${d.name}; or give the variable a default.`,
        );
      }
    }
    if (value !== undefined) secret(d, value);
    if (value !== undefined && !d.failed && !validate(lctx, d, value, names)) value = undefined;
    if (value === undefined || d.failed) {
      poisoned.add(`var.${d.name}`);
    } else {
      entries.push([d.name, value]);
      if (d.sensitive) sensitive.push(value);
    }
    const decl: VariableDecl = {
      name: d.name,
      value: value === undefined ? undefined : toJS(value),
      required: d.default === undefined && !d.defaultFailed,
      sensitive: d.sensitive,
      pos: toSourcePos(d.range),
    };
    if (d.description !== undefined) decl.description = d.description;
    out.push(decl);
  }
  return { decls: out, value: objectOf(entries), poisoned, sensitive };
}

function validate(lctx: HclLoadContext, d: Declaration, value: Value, all: string[]): boolean {
  let ok = true;
  const only = `A validation condition may refer only to the variable it validates (var.${d.name}).`;
  const hints = new Map(all.filter((n) => n !== d.name).map((n) => [`var.${n}`, only]));
  for (const root of ["local", "path", "packer", "source", "build"]) hints.set(root, only);
  for (const v of d.validations) {
    const ctx: EvalContext = {
      variables: new Map([["var", objectOf([[d.name, value]])]]),
      functions: FUNCTIONS,
      env: lctx.fnEnv,
      hints,
    };
    let passed: boolean;
    try {
      const c = evaluate(v.condition, ctx);
      if (c.isNull)
        throw new HclError(
          "Invalid variable validation result",
          v.condition.range,
          "The condition expression produced null; it must be true or false.",
        );
      passed = convert(c, BOOL).bool;
    } catch (e) {
      if (e instanceof ConversionError) {
        error(
          lctx,
          v.condition.range,
          "Invalid variable validation result",
          "The condition must produce true or false.",
        );
      } else {
        reportError(lctx, e);
      }
      ok = false;
      continue;
    }
    if (passed) continue;
    ok = false;
    let message = "The value is not valid.";
    if (v.message) {
      try {
        message = convert(evaluate(v.message, ctx), STRING).str;
      } catch (e) {
        reportError(lctx, e);
      }
    }
    const from = d.origin
      ? `The value came from ${d.origin.label}${d.origin.range ? ` (${where(d.origin.range)})` : ""}. `
      : "";
    error(
      lctx,
      d.origin?.range ?? v.condition.range,
      `Invalid value for variable "${d.name}"`,
      `${message}\n\n${from}This was checked by the validation rule at ${where(v.condition.range)}.`,
    );
  }
  return ok;
}

function jsonKeyRange(vf: VarFile, key: string): Range {
  const needle = JSON.stringify(key);
  const i = vf.text.indexOf(needle);
  const offset = Math.max(0, i);
  const before = vf.text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  const start = { line, column, offset };
  return {
    file: vf.path,
    start,
    end: { line, column: column + needle.length, offset: offset + needle.length },
  };
}
