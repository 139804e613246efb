// Executes a parsed template: evaluates pipelines left to right (a piped value becomes the last
// argument of the next command, as in Go), calls functions with Go-style argument checks, and
// reports every failure at the offset of the action or call that caused it.
import type { Command, Operand, ParsedTemplate, Pipeline, TemplateNode } from "./ast.js";
import { FuncError, TemplateError } from "./errors.js";
import {
  describeValue,
  goString,
  hasFunc,
  truthy,
  type FuncMap,
  type ParamType,
  type TemplateFunc,
} from "./func.js";
import { parseTemplate } from "./parser.js";
import { editDistance, suggest } from "../suggest.js";

export interface ExecOptions {
  funcs: FuncMap;
  /** The template's data (`.`): e.g. { Image } for run_command, { Path, Vars } for execute_command. */
  data?: Record<string, unknown>;
  /** The error for `.Field` when there is no data at all (fields rendered at load time). */
  noData?: (path: string[]) => FuncError;
  /** Emit actions that are a bare `.Field` verbatim (Packer keeps them when rendering variables). */
  keepFieldActions?: boolean;
}

/** Parses, checks every function name, then executes. Throws TemplateError. */
export function renderTemplate(text: string, opts: ExecOptions): string {
  if (!text.includes("{{")) return text;
  const t = parseTemplate(text);
  checkFunctions(t, opts.funcs);
  return execute(t, opts);
}

/** Go checks function names when parsing, so a typo in an untaken branch still fails: so do we. */
export function checkFunctions(t: ParsedTemplate, funcs: FuncMap): void {
  const first = functionErrors(t, funcs)[0];
  if (first) throw first;
}

/** Every unknown or unavailable function in the template, in order. */
export function functionErrors(t: ParsedTemplate, funcs: FuncMap): TemplateError[] {
  const errors: TemplateError[] = [];
  const visitPipe = (p: Pipeline) => {
    for (const c of p.cmds) {
      for (const a of c.args) {
        if (a.k === "func") {
          try {
            checkName(a.name, a.pos, funcs);
          } catch (e) {
            errors.push(e as TemplateError);
          }
        }
        if (a.k === "pipe") visitPipe(a.pipe);
      }
    }
  };
  const visit = (nodes: TemplateNode[]) => {
    for (const n of nodes) {
      if (n.k === "action") visitPipe(n.pipe);
      if (n.k === "if" || n.k === "with") {
        visitPipe(n.pipe);
        visit(n.then);
        if (n.otherwise) visit(n.otherwise);
      }
    }
  };
  visit(t.nodes);
  return errors;
}

function checkName(name: string, pos: number, funcs: FuncMap): void {
  if (!hasFunc(funcs, name)) {
    throw new TemplateError(`function "${name}" not defined`, pos, {
      suggestions: closest(name, Object.keys(funcs)),
    });
  }
  const u = funcs[name]!.unavailable;
  if (u) throw new TemplateError(u.message, pos, { detail: u.detail });
}

/** Only the nearest, close enough to be a typo: "usr" suggests "user", not also "js"; "pth" nothing. */
function closest(name: string, names: string[]): string[] {
  const limit = Math.max(1, Math.floor(name.length / 2));
  const found = suggest(name, names).filter((c) => editDistance(name, c) <= limit);
  const best = Math.min(...found.map((c) => editDistance(name, c)));
  return found.filter((c) => editDistance(name, c) === best);
}

export function execute(t: ParsedTemplate, opts: ExecOptions): string {
  return new Executor(t.source, opts).nodes(t.nodes, opts.data);
}

class Executor {
  constructor(
    readonly source: string,
    readonly opts: ExecOptions,
  ) {}

  nodes(nodes: TemplateNode[], dot: unknown): string {
    let out = "";
    for (const n of nodes) {
      if (n.k === "text") {
        out += n.text;
      } else if (n.k === "action") {
        if (this.opts.keepFieldActions && isBareField(n.pipe)) {
          out += this.source.slice(n.pos, n.end);
        } else {
          out += goString(this.pipeline(n.pipe, dot));
        }
      } else {
        const v = this.pipeline(n.pipe, dot);
        if (truthy(v)) out += this.nodes(n.then, n.k === "with" ? v : dot);
        else if (n.otherwise) out += this.nodes(n.otherwise, dot);
      }
    }
    return out;
  }

  pipeline(p: Pipeline, dot: unknown): unknown {
    let piped: { v: unknown } | undefined;
    for (const c of p.cmds) piped = { v: this.command(c, dot, piped) };
    return piped?.v;
  }

  command(c: Command, dot: unknown, piped: { v: unknown } | undefined): unknown {
    const [head, ...rest] = c.args;
    if (!head) throw new TemplateError("empty command", c.pos);
    if (head.k !== "func") {
      if (rest.length > 0 || piped) {
        throw new TemplateError(
          `can't give argument to non-function ${this.source.slice(head.pos, rest[0]?.pos ?? c.pos + 1).trim()}`,
          head.pos,
        );
      }
      return this.operand(head, dot);
    }
    checkName(head.name, head.pos, this.opts.funcs);
    const f = this.opts.funcs[head.name]!;
    const argc = rest.length + (piped ? 1 : 0);
    const want = f.params.length;
    if (argc < want || (argc > want && !f.variadic)) {
      throw new TemplateError(
        `wrong number of arguments for ${head.name}: want ${want}${f.variadic ? " or more" : ""}, got ${argc}`,
        head.pos,
        { detail: `usage: ${f.usage}` },
      );
    }
    const argAt = (i: number): { get: () => unknown; pos: number } => {
      const op = rest[i];
      if (op) return { get: () => this.operand(op, dot), pos: op.pos };
      return { get: () => piped!.v, pos: head.pos };
    };
    const typeOf = (i: number): ParamType => f.params[i] ?? f.variadic ?? "any";
    const args: unknown[] = [];
    for (let i = 0; i < argc; i++) {
      const a = argAt(i);
      if (f.lazy) {
        args.push(a.get);
        continue;
      }
      const v = a.get();
      checkArg(head.name, f, i, typeOf(i), v, a.pos);
      args.push(v);
    }
    try {
      return f.call(...args);
    } catch (e) {
      if (e instanceof FuncError) throw new TemplateError(`${head.name}: ${e.message}`, head.pos, e.extras);
      throw e;
    }
  }

  operand(op: Operand, dot: unknown): unknown {
    switch (op.k) {
      case "string":
      case "number":
      case "bool":
        return op.value;
      case "nil":
        return null;
      case "dot":
        return dot;
      case "var":
        return this.opts.data;
      case "pipe":
        return this.pipeline(op.pipe, dot);
      case "field":
        return this.field(op.path, op.pos, dot);
      case "func":
        return this.command({ pos: op.pos, args: [op] }, dot, undefined);
    }
  }

  field(path: string[], pos: number, dot: unknown): unknown {
    if (dot === undefined || dot === null) {
      const err = this.opts.noData?.(path) ?? new FuncError(`no data for .${path.join(".")}`);
      throw new TemplateError(err.message, pos, err.extras);
    }
    let v: unknown = dot;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        throw new TemplateError(`can't evaluate field ${key} in ${describeValue(v)}`, pos);
      }
      const rec = v as Record<string, unknown>;
      if (!Object.prototype.hasOwnProperty.call(rec, key)) {
        const keys = Object.keys(rec);
        throw new TemplateError(`.${path.slice(0, i + 1).join(".")} is not available here`, pos, {
          suggestions: suggest(key, keys).map((k) => `.${k}`),
          detail: keys.length ? `available: ${keys.map((k) => `.${k}`).join(", ")}` : undefined,
        });
      }
      v = rec[key];
    }
    return v;
  }
}

function isBareField(p: Pipeline): boolean {
  return p.cmds.length === 1 && p.cmds[0]!.args.length === 1 && p.cmds[0]!.args[0]!.k === "field";
}

function checkArg(name: string, f: TemplateFunc, i: number, want: ParamType, v: unknown, pos: number): void {
  const ok =
    want === "any" ||
    (want === "string" && typeof v === "string") ||
    (want === "int" && typeof v === "number" && Number.isInteger(v));
  if (!ok) {
    const what = want === "int" ? "an integer" : "a string";
    throw new TemplateError(`${name}: argument ${i + 1} must be ${what}, got ${describeValue(v)}`, pos, {
      detail: `usage: ${f.usage}`,
    });
  }
}
