// Recursive-descent parser for HCL native syntax (bodies, expressions, templates). It keeps block
// order and the range of every node; the first syntax error of a file stops that file, because
// HCL's recovery tends to produce cascades of errors that point at the wrong place.
import type {
  Attribute,
  BinaryOp,
  Block,
  BlockLabel,
  Body,
  Expr,
  ObjectItem,
  Pos,
  Range,
  SourceFile,
  TemplatePart,
} from "./ast.js";
import { HclError } from "./diagnostics.js";
import { suggest } from "../suggest.js";
import { lex } from "./lexer.js";
import type { Token, TokenType } from "./token.js";

export interface ParseResult {
  file: SourceFile;
  errors: HclError[];
}

export function parseFile(text: string, path: string): ParseResult {
  const p = new Parser(lex(text), path);
  try {
    const body = p.body(true);
    return { file: { path, text, body }, errors: [] };
  } catch (e) {
    if (!(e instanceof HclError)) throw e;
    const empty: Body = { items: [], range: p.rangeAt(0, 0) };
    return { file: { path, text, body: empty }, errors: [e] };
  }
}

/** One standalone expression (a `-var` value, a `PKR_VAR_` value, a type constraint). */
export function parseExpression(text: string, path: string): Expr {
  const p = new Parser(lex(text), path);
  const e = p.wholeExpression();
  return e;
}

/** A bare template (templatefile): text with `${}` and `%{}` sequences, no surrounding quotes. */
export function parseTemplate(text: string, path: string): Expr {
  const p = new Parser(lex(text, { template: true }), path);
  return p.bareTemplate();
}

const BINARY_LEVELS: BinaryOp[][] = [
  ["||"],
  ["&&"],
  ["==", "!="],
  [">", ">=", "<", "<="],
  ["+", "-"],
  ["*", "/", "%"],
];

function describe(t: Token): string {
  switch (t.type) {
    case "eof":
      return "end of file";
    case "newline":
      return "newline";
    case "ident":
      return `"${t.text}"`;
    case "number":
      return `number ${t.text}`;
    case "oquote":
      return "opening quote";
    case "cquote":
      return "closing quote";
    case "strlit":
      return "string";
    case "oheredoc":
      return "heredoc";
    case "interp":
      return "${";
    case "control":
      return "%{";
    case "seqend":
      return "}";
    case "invalid":
      return t.error ?? "invalid character";
    default:
      return `"${t.text}"`;
  }
}

interface TemplateItem {
  kind: "lit" | "interp" | "directive";
  range: Range;
  text?: string; // raw literal text
  expr?: Expr;
  directive?: { word: string; keyVar?: string; valueVar?: string; expr?: Expr };
  stripLeft?: boolean;
  stripRight?: boolean;
}

class Parser {
  private readonly toks: Token[];
  private i = 0;
  /** Whether newlines are insignificant here (inside parentheses, brackets, `${}`). */
  private readonly nl: boolean[] = [false];

  constructor(
    all: Token[],
    private readonly file: string,
  ) {
    this.toks = all.filter((t) => t.type !== "comment");
  }

  rangeAt(a: number, b: number): Range {
    const s = this.toks[a] ?? this.toks[this.toks.length - 1]!;
    const e = this.toks[b] ?? s;
    return { file: this.file, start: s.start, end: e.end };
  }

  private range(start: Pos, end: Pos): Range {
    return { file: this.file, start, end };
  }

  private tokRange(t: Token): Range {
    return { file: this.file, start: t.start, end: t.end };
  }

  private skipNewlines(): void {
    while (this.toks[this.i]!.type === "newline") this.i++;
  }

  private peek(): Token {
    if (this.nl[this.nl.length - 1]) this.skipNewlines();
    return this.toks[this.i]!;
  }

  private peekAt(n: number): Token {
    let j = this.i;
    const ignore = this.nl[this.nl.length - 1];
    for (let k = 0; ; j++) {
      const t = this.toks[j];
      if (!t) return this.toks[this.toks.length - 1]!;
      if (ignore && t.type === "newline") continue;
      if (k === n) return t;
      k++;
    }
  }

  private next(): Token {
    const t = this.peek();
    if (t.type !== "eof") this.i++;
    return t;
  }

  private prevEnd(): Pos {
    return this.toks[this.i - 1]?.end ?? this.toks[0]!.start;
  }

  private fail(t: Token, summary: string, detail?: string): never {
    if (t.type === "invalid") throw new HclError(t.error ?? "Invalid character", this.tokRange(t), detail);
    throw new HclError(summary, this.tokRange(t), detail);
  }

  private expect(type: TokenType, summary: string, detail?: string): Token {
    const t = this.peek();
    if (t.type !== type) this.fail(t, summary, detail ?? `Expected "${type}", found ${describe(t)}.`);
    return this.next();
  }

  private withNewlines<T>(ignore: boolean, f: () => T): T {
    this.nl.push(ignore);
    try {
      return f();
    } finally {
      this.nl.pop();
    }
  }

  // ---- bodies ------------------------------------------------------------------------------

  body(topLevel: boolean, open?: Token): Body {
    const items: (Attribute | Block)[] = [];
    const start = topLevel ? this.toks[0]!.start : open!.end;
    const seen = new Map<string, Attribute>();
    for (;;) {
      this.skipNewlines();
      const t = this.toks[this.i]!;
      if (t.type === "eof") {
        if (!topLevel) {
          throw new HclError(
            "Unclosed configuration block",
            this.tokRange(open!),
            "There is no closing brace for this block before the end of the file; add a `}`.",
          );
        }
        return { items, range: this.range(start, t.end) };
      }
      if (t.type === "}") {
        if (topLevel)
          this.fail(
            t,
            "Argument or block definition required",
            "Unexpected `}`: there is no open block here.",
          );
        this.i++;
        return { items, range: this.range(start, t.start) };
      }
      const item = this.bodyItem();
      if (item.kind === "attribute") {
        const prev = seen.get(item.name);
        if (prev) {
          throw new HclError(
            "Attribute redefined",
            item.nameRange,
            `The argument "${item.name}" was already set at ${prev.nameRange.file}:${prev.nameRange.start.line}:${prev.nameRange.start.column}. Each argument may be set only once.`,
          );
        }
        seen.set(item.name, item);
      }
      items.push(item);
    }
  }

  private bodyItem(): Attribute | Block {
    const name = this.toks[this.i]!;
    if (name.type !== "ident") {
      this.fail(
        name,
        "Argument or block definition required",
        `An argument or block definition is required here, found ${describe(name)}. An argument is \`name = value\`; a block is \`type "label" { … }\`.`,
      );
    }
    this.i++;
    const after = this.toks[this.i]!;
    if (after.type === "=") {
      this.i++;
      const expr = this.withNewlines(false, () => this.expression());
      const end = this.toks[this.i]!;
      if (end.type !== "newline" && end.type !== "eof" && end.type !== "}") {
        this.fail(
          end,
          "Missing newline after argument",
          `An argument definition must end with a newline, found ${describe(end)}.`,
        );
      }
      return {
        kind: "attribute",
        name: name.text,
        nameRange: this.tokRange(name),
        expr,
        range: this.range(name.start, expr.range.end),
      };
    }
    const labels: BlockLabel[] = [];
    for (;;) {
      const t = this.toks[this.i]!;
      if (t.type === "ident") {
        this.i++;
        labels.push({ value: t.text, range: this.tokRange(t) });
      } else if (t.type === "oquote") {
        labels.push(this.quotedLabel());
      } else {
        break;
      }
    }
    const open = this.toks[this.i]!;
    if (open.type !== "{") {
      if (labels.length === 0 && (open.type === "newline" || open.type === "eof")) {
        this.fail(
          open,
          "Argument or block definition required",
          `"${name.text}" needs either \`= value\` (an argument) or \`{ … }\` (a block).`,
        );
      }
      this.fail(
        open,
        labels.length === 0 && open.type !== "invalid"
          ? "Argument or block definition required"
          : "Invalid block definition",
        labels.length === 0
          ? `Expected "=" or a block, found ${describe(open)}.`
          : `A block definition must have block content delimited by "{" and "}", starting on the same line as the block header; found ${describe(open)}.${
              labels.length === 1 && (open.type === "newline" || open.type === "eof")
                ? ` If "${name.text}" is an argument, add an equals sign: ${name.text} = …`
                : ""
            }`,
      );
    }
    this.i++;
    const body = this.body(false, open);
    const close = this.toks[this.i - 1]!;
    const end = this.toks[this.i]!;
    if (end.type !== "newline" && end.type !== "eof" && end.type !== "}") {
      this.fail(
        end,
        "Missing newline after block definition",
        `A block definition must end with a newline, found ${describe(end)}.`,
      );
    }
    return {
      kind: "block",
      type: name.text,
      typeRange: this.tokRange(name),
      labels,
      body,
      headerRange: this.range(name.start, open.end),
      range: this.range(name.start, close.end),
    };
  }

  private quotedLabel(): BlockLabel {
    const open = this.toks[this.i++]!;
    let raw = "";
    let t = this.toks[this.i]!;
    while (t.type === "strlit") {
      raw += t.text;
      this.i++;
      t = this.toks[this.i]!;
    }
    if (t.type === "interp" || t.type === "control") {
      this.fail(t, "Invalid block label", "Template sequences are not allowed in block labels.");
    }
    if (t.type !== "cquote") this.fail(t, "Invalid block label", "Unterminated block label.");
    this.i++;
    const range = this.range(open.start, t.end);
    return { value: decodeQuoted(raw, range), range };
  }

  // ---- expressions -------------------------------------------------------------------------

  wholeExpression(): Expr {
    return this.withNewlines(true, () => {
      const e = this.expression();
      const t = this.peek();
      if (t.type !== "eof")
        this.fail(
          t,
          "Extra characters after expression",
          `Found ${describe(t)} after the end of the expression.`,
        );
      return e;
    });
  }

  expression(): Expr {
    const cond = this.binary(0);
    if (this.peek().type !== "?") return cond;
    this.next();
    const then = this.expression();
    this.expect(
      ":",
      "Missing false expression in conditional",
      "A conditional is `condition ? true_value : false_value`.",
    );
    const otherwise = this.expression();
    return {
      kind: "conditional",
      cond,
      then,
      else: otherwise,
      range: this.range(cond.range.start, otherwise.range.end),
    };
  }

  private binary(level: number): Expr {
    if (level >= BINARY_LEVELS.length) return this.unary();
    const ops = BINARY_LEVELS[level]!;
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (!(ops as string[]).includes(t.type)) return left;
      this.next();
      const right = this.binary(level + 1);
      left = {
        kind: "binary",
        op: t.type as BinaryOp,
        left,
        right,
        opRange: this.tokRange(t),
        range: this.range(left.range.start, right.range.end),
      };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.type === "!" || t.type === "-") {
      this.next();
      const operand = this.unary();
      return { kind: "unary", op: t.type, operand, range: this.range(t.start, operand.range.end) };
    }
    return this.postfix(this.primary());
  }

  /** Attribute access, indexing and splats after a primary expression. */
  private postfix(base: Expr): Expr {
    let e = base;
    for (;;) {
      const t = this.peek();
      if (t.type === ".") {
        const after = this.peekAt(1);
        if (after.type === "*") {
          this.next();
          this.next();
          const anon: Expr = { kind: "anon", range: this.tokRange(after) };
          const each = this.traversals(anon, false);
          e = { kind: "splat", source: e, each, range: this.range(e.range.start, this.prevEnd()) };
          continue;
        }
        e = this.dotStep(e);
        continue;
      }
      if (t.type === "[") {
        const after = this.peekAt(1);
        if (after.type === "*" && this.peekAt(2).type === "]") {
          this.next();
          this.next();
          const close = this.next();
          const anon: Expr = { kind: "anon", range: this.range(t.start, close.end) };
          const each = this.traversals(anon, true);
          return { kind: "splat", source: e, each, range: this.range(e.range.start, this.prevEnd()) };
        }
        e = this.indexStep(e);
        continue;
      }
      return e;
    }
  }

  /** Traversal steps applied to each element of a splat. */
  private traversals(anon: Expr, full: boolean): Expr {
    let e = anon;
    for (;;) {
      const t = this.peek();
      if (t.type === "." && this.peekAt(1).type !== "*") {
        e = this.dotStep(e);
      } else if (full && t.type === "." && this.peekAt(1).type === "*") {
        // `x[*].y.*.z`: an attribute splat nested in a full splat applies to each element.
        const dot = this.next();
        const star = this.next();
        const inner: Expr = { kind: "anon", range: this.range(dot.start, star.end) };
        const each = this.traversals(inner, false);
        e = { kind: "splat", source: e, each, range: this.range(e.range.start, this.prevEnd()) };
      } else if (full && t.type === "[") {
        if (this.peekAt(1).type === "*" && this.peekAt(2).type === "]") {
          // A nested full splat applies to each element too.
          const open = this.next();
          this.next();
          const close = this.next();
          const inner: Expr = { kind: "anon", range: this.range(open.start, close.end) };
          const each = this.traversals(inner, true);
          return { kind: "splat", source: e, each, range: this.range(e.range.start, this.prevEnd()) };
        }
        e = this.indexStep(e);
      } else {
        return e;
      }
    }
  }

  private dotStep(obj: Expr): Expr {
    this.next(); // "."
    const name = this.peek();
    if (name.type === "ident") {
      this.next();
      return {
        kind: "getattr",
        obj,
        name: name.text,
        nameRange: this.tokRange(name),
        range: this.range(obj.range.start, name.end),
      };
    }
    if (name.type === "number") {
      // Legacy index syntax `list.0`; `a.0.1` lexes as the number 0.1, hence the split.
      this.next();
      if (!/^\d+(\.\d+)*$/.test(name.text))
        this.fail(name, "Invalid attribute name", "Only whole numbers may follow a dot.");
      let e = obj;
      let col = name.start.column;
      let off = name.start.offset;
      for (const part of name.text.split(".")) {
        const start: Pos = { line: name.start.line, column: col, offset: off };
        const end: Pos = { line: name.start.line, column: col + part.length, offset: off + part.length };
        const key: Expr = { kind: "literal", value: Number(part), range: this.range(start, end) };
        e = { kind: "index", obj: e, key, range: this.range(obj.range.start, end) };
        col += part.length + 1;
        off += part.length + 1;
      }
      return e;
    }
    this.fail(
      name,
      "Invalid attribute name",
      `An attribute name is required after a dot, found ${describe(name)}.`,
    );
  }

  private indexStep(obj: Expr): Expr {
    this.next(); // "["
    const key = this.withNewlines(true, () => this.expression());
    const close = this.withNewlines(true, () =>
      this.expect(
        "]",
        "Missing close bracket on index",
        `The index operator must end with a "]", found ${describe(this.peek())}.`,
      ),
    );
    return { kind: "index", obj, key, range: this.range(obj.range.start, close.end) };
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case "number":
        this.next();
        return { kind: "literal", value: Number(t.text), range: this.tokRange(t) };
      case "ident": {
        this.next();
        if (t.text === "true" || t.text === "false") {
          return { kind: "literal", value: t.text === "true", range: this.tokRange(t) };
        }
        if (t.text === "null") return { kind: "literal", value: null, range: this.tokRange(t) };
        if (this.toks[this.i]!.type === "(") return this.call(t);
        return { kind: "variable", name: t.text, range: this.tokRange(t) };
      }
      case "oquote":
        return this.quotedTemplate();
      case "oheredoc":
        return this.heredocTemplate();
      case "(": {
        this.next();
        const inner = this.withNewlines(true, () => {
          const e = this.expression();
          this.expect(
            ")",
            "Unbalanced parentheses",
            `Expected a closing parenthesis, found ${describe(this.peek())}.`,
          );
          return e;
        });
        return { kind: "paren", expr: inner, range: this.range(t.start, this.prevEnd()) };
      }
      case "[":
        return this.tuple();
      case "{":
        return this.object();
      default:
        this.fail(
          t,
          "Invalid expression",
          t.type === "invalid" ? undefined : `Expected the start of an expression, but found ${describe(t)}.`,
        );
    }
  }

  private call(name: Token): Expr {
    this.next(); // "("
    return this.withNewlines(true, () => {
      const args: Expr[] = [];
      let expandFinal = false;
      while (this.peek().type !== ")") {
        if (expandFinal) {
          this.fail(
            this.peek(),
            "Missing closing parenthesis",
            "An argument expanded with `...` must be the last one.",
          );
        }
        args.push(this.expression());
        const t = this.peek();
        if (t.type === "...") {
          this.next();
          expandFinal = true;
        }
        const sep = this.peek();
        if (sep.type === ",") {
          this.next();
          continue;
        }
        if (sep.type === "}" || sep.type === "]" || sep.type === "seqend" || sep.type === "eof") {
          this.fail(
            sep,
            "Missing closing parenthesis",
            `The call to "${name.text}" that starts at line ${name.start.line}, column ${name.start.column} has no closing ")".`,
          );
        }
        if (sep.type !== ")") {
          this.fail(
            sep,
            "Missing argument separator",
            `A comma is required to separate each function argument from the next, found ${describe(sep)}.`,
          );
        }
      }
      const close = this.next();
      return {
        kind: "call",
        name: name.text,
        nameRange: this.tokRange(name),
        args,
        expandFinal,
        range: this.range(name.start, close.end),
      } satisfies Expr;
    });
  }

  private tuple(): Expr {
    const open = this.next();
    return this.withNewlines(true, () => {
      if (this.peek().type === "ident" && this.peek().text === "for" && this.peekAt(1).type === "ident") {
        return this.forExpr(open, "]");
      }
      const items: Expr[] = [];
      while (this.peek().type !== "]") {
        items.push(this.expression());
        const sep = this.peek();
        if (sep.type === ",") {
          this.next();
          continue;
        }
        if (sep.type !== "]") {
          this.fail(
            sep,
            "Missing item separator",
            `Expected a comma to mark the beginning of the next item, found ${describe(sep)}.`,
          );
        }
      }
      const close = this.next();
      return { kind: "tuple", items, range: this.range(open.start, close.end) } satisfies Expr;
    });
  }

  private object(): Expr {
    const open = this.next();
    return this.withNewlines(false, () => {
      this.skipNewlines();
      const first = this.peek();
      if (first.type === "ident" && first.text === "for" && this.peekAt(1).type === "ident") {
        return this.withNewlines(true, () => this.forExpr(open, "}"));
      }
      const items: ObjectItem[] = [];
      for (;;) {
        this.skipNewlines();
        const t = this.peek();
        if (t.type === "}") break;
        let key: Expr;
        let bareKey: string | undefined;
        const after = this.toks[this.i + 1]!;
        if (t.type === "ident" && (after.type === "=" || after.type === ":")) {
          this.next();
          bareKey = t.text;
          key = {
            kind: "template",
            parts: [{ kind: "lit", text: t.text, range: this.tokRange(t) }],
            heredoc: false,
            range: this.tokRange(t),
          };
        } else {
          key = this.withNewlines(true, () => this.binary(0));
        }
        const eq = this.peek();
        if (eq.type !== "=" && eq.type !== ":") {
          this.fail(
            eq,
            "Missing key/value separator",
            `Expected an equals sign ("=") to mark the beginning of the attribute value, found ${describe(eq)}.`,
          );
        }
        this.next();
        const value = this.expression();
        const item: ObjectItem = { key, value, range: this.range(key.range.start, value.range.end) };
        if (bareKey !== undefined) item.bareKey = bareKey;
        items.push(item);
        const sep = this.peek();
        if (sep.type === ",") {
          this.next();
        } else if (sep.type === "newline") {
          // newline separates items
        } else if (sep.type !== "}") {
          this.fail(
            sep,
            "Missing attribute separator",
            `Expected a newline or comma to mark the beginning of the next attribute, found ${describe(sep)}.`,
          );
        }
      }
      const close = this.next();
      return { kind: "object", items, range: this.range(open.start, close.end) } satisfies Expr;
    });
  }

  private forExpr(open: Token, close: "]" | "}"): Expr {
    this.next(); // "for"
    const first = this.expect("ident", "Invalid for expression", "Expected an iterator name after `for`.");
    let keyVar: string | undefined;
    let valueVar = first.text;
    if (this.peek().type === ",") {
      this.next();
      keyVar = first.text;
      valueVar = this.expect(
        "ident",
        "Invalid for expression",
        "Expected a value iterator name after the comma.",
      ).text;
    }
    const inTok = this.peek();
    if (inTok.type !== "ident" || inTok.text !== "in") {
      this.fail(
        inTok,
        "Invalid for expression",
        `Expected "in" after the iterator names, found ${describe(inTok)}.`,
      );
    }
    this.next();
    const coll = this.expression();
    this.expect(
      ":",
      "Invalid for expression",
      `Expected a colon after the collection expression, found ${describe(this.peek())}.`,
    );
    let keyExpr: Expr | undefined;
    let valueExpr = this.expression();
    let group = false;
    if (close === "}") {
      this.expect("=>", "Invalid for expression", "An object `for` expression needs `key => value`.");
      keyExpr = valueExpr;
      valueExpr = this.expression();
      if (this.peek().type === "...") {
        this.next();
        group = true;
      }
    }
    let cond: Expr | undefined;
    const ifTok = this.peek();
    if (ifTok.type === "ident" && ifTok.text === "if") {
      this.next();
      cond = this.expression();
    }
    const end = this.peek();
    if (end.type !== close) {
      this.fail(
        end,
        "Invalid for expression",
        `Expected "${close}" to end the for expression, found ${describe(end)}.`,
      );
    }
    this.next();
    const e: Expr = { kind: "for", valueVar, coll, valueExpr, group, range: this.range(open.start, end.end) };
    if (keyVar !== undefined) e.keyVar = keyVar;
    if (keyExpr) e.keyExpr = keyExpr;
    if (cond) e.cond = cond;
    return e;
  }

  // ---- templates ---------------------------------------------------------------------------

  private quotedTemplate(): Expr {
    const open = this.next();
    const items = this.templateItems("cquote");
    const close = this.toks[this.i]!;
    if (close.type !== "cquote")
      this.fail(close, "Unterminated template string", 'A quoted string must end with `"` on the same line.');
    this.i++;
    const range = this.range(open.start, close.end);
    return { kind: "template", parts: this.buildTemplate(items, "quoted", false), heredoc: false, range };
  }

  private heredocTemplate(): Expr {
    const open = this.next();
    const items = this.templateItems("cheredoc");
    const close = this.toks[this.i]!;
    if (close.type !== "cheredoc")
      this.fail(close, "Unterminated heredoc", `No closing "${open.heredoc!.marker}" line was found.`);
    this.i++;
    const range = this.range(open.start, close.end);
    return {
      kind: "template",
      parts: this.buildTemplate(items, "heredoc", open.heredoc!.flush),
      heredoc: true,
      range,
    };
  }

  bareTemplate(): Expr {
    const items = this.templateItems("eof");
    const t = this.toks[this.i]!;
    if (t.type !== "eof") this.fail(t, "Invalid template", `Unexpected ${describe(t)}.`);
    const range = this.range(this.toks[0]!.start, t.end);
    return { kind: "template", parts: this.buildTemplate(items, "heredoc", false), heredoc: true, range };
  }

  private templateItems(end: TokenType): TemplateItem[] {
    const items: TemplateItem[] = [];
    for (;;) {
      const t = this.toks[this.i]!;
      if (t.type === end || t.type === "eof") return items;
      if (t.type === "strlit") {
        this.i++;
        items.push({ kind: "lit", text: t.text, range: this.tokRange(t) });
        continue;
      }
      if (t.type === "interp" || t.type === "control") {
        this.i++;
        const stripLeft = this.toks[this.i]!.type === "tilde";
        if (stripLeft) this.i++;
        const item = this.withNewlines(true, () =>
          t.type === "interp" ? this.interpItem(t) : this.directiveItem(t),
        );
        item.stripLeft = stripLeft;
        items.push(item);
        continue;
      }
      this.fail(
        t,
        end === "cquote" ? "Unterminated template string" : "Invalid template",
        t.type === "invalid" ? undefined : `Unexpected ${describe(t)} in a template.`,
      );
    }
  }

  private endSequence(item: TemplateItem, open: Token): void {
    const t = this.peek();
    if (t.type === "tilde") {
      this.next();
      item.stripRight = true;
    }
    const close = this.peek();
    if (close.type !== "seqend") {
      this.fail(
        close,
        open.type === "interp"
          ? "Extra characters after interpolation expression"
          : "Invalid template directive",
        `Expected a closing brace to end the ${open.type === "interp" ? "interpolation" : "directive"}, found ${describe(close)}.`,
      );
    }
    this.next();
    item.range = this.range(open.start, close.end);
  }

  private interpItem(open: Token): TemplateItem {
    const expr = this.expression();
    const item: TemplateItem = { kind: "interp", expr, range: this.tokRange(open) };
    this.endSequence(item, open);
    return item;
  }

  private directiveItem(open: Token): TemplateItem {
    const word = this.peek();
    const keywords = ["if", "else", "endif", "for", "endfor"];
    if (word.type === "ident" && !keywords.includes(word.text)) {
      throw new HclError(
        "Invalid template control keyword",
        this.tokRange(word),
        `"${word.text}" is not a valid template control keyword; use if, else, endif, for or endfor.`,
        suggest(word.text, keywords),
      );
    }
    if (word.type !== "ident") {
      this.fail(
        word,
        "Invalid template directive",
        `A template directive keyword ("if", "else", "endif", "for" or "endfor") is expected after "%{", found ${describe(word)}.`,
      );
    }
    this.next();
    const directive: NonNullable<TemplateItem["directive"]> = { word: word.text };
    if (word.text === "if") {
      directive.expr = this.expression();
    } else if (word.text === "for") {
      const a = this.expect("ident", "Invalid template directive", "Expected an iterator name after `for`.");
      directive.valueVar = a.text;
      if (this.peek().type === ",") {
        this.next();
        directive.keyVar = a.text;
        directive.valueVar = this.expect(
          "ident",
          "Invalid template directive",
          "Expected a value iterator name.",
        ).text;
      }
      const inTok = this.peek();
      if (inTok.type !== "ident" || inTok.text !== "in") {
        this.fail(inTok, "Invalid template directive", `Expected "in", found ${describe(inTok)}.`);
      }
      this.next();
      directive.expr = this.expression();
    }
    const item: TemplateItem = { kind: "directive", directive, range: this.tokRange(open) };
    this.endSequence(item, open);
    return item;
  }

  /**
   * Decodes literals, applies strip markers, then (for `<<-`) removes the common indentation,
   * then merges adjacent literals and nests `if`/`for` directives: the order HCL uses, so that a
   * `~` only trims the literal run next to it (one heredoc line) and a trimmed line start counts
   * as unindented.
   */
  private buildTemplate(raw: TemplateItem[], flavour: "quoted" | "heredoc", flush: boolean): TemplatePart[] {
    const items = raw.map((it) =>
      it.kind === "lit" ? { ...it, text: decodeLiteral(it.text!, flavour, it.range) } : it,
    );
    for (let k = 0; k < items.length; k++) {
      const it = items[k]!;
      if (it.kind === "lit") continue;
      const prev = items[k - 1];
      const next = items[k + 1];
      if (it.stripLeft && prev?.kind === "lit") prev.text = prev.text!.replace(/\s+$/u, "");
      if (it.stripRight && next?.kind === "lit") next.text = next.text!.replace(/^\s+/u, "");
    }
    if (flush) flushHeredoc(items);
    for (let k = 1; k < items.length;) {
      const prev = items[k - 1]!;
      const cur = items[k]!;
      if (prev.kind === "lit" && cur.kind === "lit") {
        items.splice(k - 1, 2, {
          ...prev,
          text: prev.text! + cur.text!,
          range: { ...prev.range, end: cur.range.end },
        });
        continue;
      }
      k++;
    }
    let k = 0;
    const parse = (stops: string[]): { parts: TemplatePart[]; stop?: TemplateItem } => {
      const parts: TemplatePart[] = [];
      while (k < items.length) {
        const it = items[k]!;
        k++;
        if (it.kind === "lit") {
          if (it.text !== "") parts.push({ kind: "lit", text: it.text!, range: it.range });
          continue;
        }
        if (it.kind === "interp") {
          parts.push({ kind: "interp", expr: it.expr!, range: it.range });
          continue;
        }
        const d = it.directive!;
        if (stops.includes(d.word)) return { parts, stop: it };
        if (d.word === "if") {
          const thenPart = parse(["else", "endif"]);
          let elsePart: TemplatePart[] | undefined;
          let stop = thenPart.stop;
          if (stop?.directive!.word === "else") {
            const e = parse(["endif"]);
            elsePart = e.parts;
            stop = e.stop;
          }
          if (!stop) {
            throw new HclError(
              "Unexpected end of template",
              it.range,
              "This `%{ if }` has no matching `%{ endif }`.",
            );
          }
          const part: TemplatePart = {
            kind: "if",
            cond: d.expr!,
            then: thenPart.parts,
            range: { ...it.range, end: stop.range.end },
          };
          if (elsePart) part.else = elsePart;
          parts.push(part);
          continue;
        }
        if (d.word === "for") {
          const body = parse(["endfor"]);
          if (!body.stop) {
            throw new HclError(
              "Unexpected end of template",
              it.range,
              "This `%{ for }` has no matching `%{ endfor }`.",
            );
          }
          const part: TemplatePart = {
            kind: "for",
            valueVar: d.valueVar!,
            coll: d.expr!,
            body: body.parts,
            range: { ...it.range, end: body.stop.range.end },
          };
          if (d.keyVar !== undefined) part.keyVar = d.keyVar;
          parts.push(part);
          continue;
        }
        throw new HclError(
          `Unexpected ${d.word} directive`,
          it.range,
          `This \`%{ ${d.word} }\` has no matching opening ${d.word === "endfor" ? "`%{ for }`" : "`%{ if }`"}.`,
        );
      }
      return { parts };
    };
    const { parts } = parse([]);
    return parts;
  }
}

/**
 * `<<-` heredocs: remove the indentation common to the lines. A line that is only whitespace and
 * ends the line is blank: it neither counts nor changes. A line starting with an interpolation
 * or directive counts as unindented.
 */
function flushHeredoc(items: TemplateItem[]): void {
  let min = Infinity;
  const adjust: TemplateItem[] = [];
  let lineStart = true;
  for (const it of items) {
    if (lineStart) {
      lineStart = false;
      if (it.kind !== "lit") {
        min = 0;
      } else {
        const text = it.text!;
        const indent = text.length - text.replace(/^\s+/u, "").length;
        if (!(indent === text.length && text.endsWith("\n"))) {
          min = Math.min(min, [...text.slice(0, indent)].length);
          adjust.push(it);
        }
      }
    }
    if (it.kind === "lit" && it.text!.endsWith("\n")) lineStart = true;
  }
  if (min === Infinity || min === 0) return;
  for (const it of adjust) it.text = [...it.text!].slice(min).join("");
}

function decodeLiteral(raw: string, flavour: "quoted" | "heredoc", range: Range): string {
  if (flavour === "quoted") return decodeQuoted(raw, range);
  return raw.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

/** Backslash escapes of quoted strings, and `$${`/`%%{` (literal `${`/`%{`). */
export function decodeQuoted(raw: string, range: Range): string {
  if (!raw.includes("\\") && !raw.includes("$${") && !raw.includes("%%{")) return raw;
  let out = "";
  for (let k = 0; k < raw.length; k++) {
    const c = raw[k]!;
    if ((c === "$" || c === "%") && raw[k + 1] === c && raw[k + 2] === "{") {
      out += c + "{";
      k += 2;
      continue;
    }
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = raw[k + 1];
    k++;
    switch (e) {
      case "n":
        out += "\n";
        break;
      case "r":
        out += "\r";
        break;
      case "t":
        out += "\t";
        break;
      case '"':
        out += '"';
        break;
      case "\\":
        out += "\\";
        break;
      case "u":
      case "U": {
        const n = e === "u" ? 4 : 8;
        const hex = raw.slice(k + 1, k + 1 + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) {
          throw new HclError(
            "Invalid escape sequence",
            escapeRange(range, raw, k - 1),
            `\\${e} must be followed by ${n} hexadecimal digits.`,
          );
        }
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          throw new HclError(
            "Invalid escape sequence",
            escapeRange(range, raw, k - 1),
            `U+${hex.toUpperCase()} is not a valid Unicode character.`,
          );
        }
        out += String.fromCodePoint(cp);
        k += n;
        break;
      }
      default:
        throw new HclError(
          "Invalid escape sequence",
          escapeRange(range, raw, k - 1),
          `The symbol ${JSON.stringify(e ?? "")} is not a valid escape sequence selector. Valid escapes are \\n, \\r, \\t, \\", \\\\, \\uNNNN and \\UNNNNNNNN.`,
        );
    }
  }
  return out;
}

function escapeRange(range: Range, raw: string, at: number): Range {
  // Literal runs never span lines in quoted strings, so columns advance with the offset.
  const skip = range.end.offset - range.start.offset === raw.length ? at : 0;
  const start = {
    line: range.start.line,
    column: range.start.column + skip,
    offset: range.start.offset + skip,
  };
  return { file: range.file, start, end: { ...start, column: start.column + 2, offset: start.offset + 2 } };
}
