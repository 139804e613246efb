// Recursive-descent parser over the lexer's tokens. Supports what Packer templates use: actions
// with pipelines of function calls, `.Field` data access, parenthesised calls, and `if`/`with`
// (with `else` / `else if`). `range`, `define`, `template` and `block` are refused clearly.
import type { Command, Operand, ParsedTemplate, Pipeline, TemplateNode } from "./ast.js";
import { TemplateError } from "./errors.js";
import { lex, type Token } from "./lexer.js";

export function parseTemplate(source: string): ParsedTemplate {
  const p = new Parser(source, lex(source));
  return { source, nodes: p.list(new Set()) };
}

type ControlNode = Extract<TemplateNode, { k: "if" | "with" }>;

class Parser {
  private i = 0;
  /** The keyword action (`else`/`end`) that ended the last list, if any. */
  stop: { word: string; pos: number } | undefined;

  constructor(
    readonly source: string,
    readonly tokens: Token[],
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new TemplateError("unexpected end of template", this.source.length);
    return t;
  }

  /** Parses nodes until EOF or a `{{else}}`/`{{end}}` action (recorded in `stop`). */
  list(enders: Set<string>): TemplateNode[] {
    const out: TemplateNode[] = [];
    this.stop = undefined;
    while (this.i < this.tokens.length) {
      const t = this.next();
      if (t.t === "text") {
        out.push({ k: "text", text: t.value });
        continue;
      }
      // t is "open"
      const first = this.peek();
      if (first?.t === "keyword") {
        this.i++;
        const word = first.value;
        if (word === "end" || word === "else") {
          if (!enders.has(word)) {
            throw new TemplateError(`unexpected {{${word}}}`, t.pos, {
              detail: word === "end" ? "there is no {{if}} or {{with}} to end here" : undefined,
            });
          }
          this.stop = { word, pos: t.pos };
          return out;
        }
        if (word === "if" || word === "with") {
          out.push(this.control(word, t.pos));
          continue;
        }
        throw new TemplateError(`{{${word}}} is not supported in kiln templates`, t.pos, {
          detail: "kiln supports Packer's functions, pipes, .Field access, if/else and with",
        });
      }
      const pipe = this.pipeline(t.pos);
      const close = this.expect("close", t.pos);
      out.push({ k: "action", pipe, pos: t.pos, end: close.end });
    }
    return out;
  }

  private control(word: "if" | "with", pos: number): ControlNode {
    const pipe = this.pipeline(pos);
    this.expect("close", pos);
    const then = this.list(new Set(["else", "end"]));
    if (!this.stop) throw new TemplateError(`{{${word}}} is missing its {{end}}`, pos);
    let otherwise: TemplateNode[] | undefined;
    if (this.stop.word === "else") {
      const elsePos = this.stop.pos;
      const nxt = this.peek();
      if (nxt?.t === "keyword" && (nxt.value === "if" || nxt.value === "with")) {
        // `{{else if …}}` is an `if` nested in the else branch that shares our {{end}}.
        this.i++;
        const nested = this.control(nxt.value, elsePos);
        otherwise = [nested];
        return { k: word, pipe, then, otherwise, pos, end: nested.end };
      }
      this.expect("close", elsePos);
      otherwise = this.list(new Set(["end"]));
      if (!this.stop) throw new TemplateError(`{{${word}}} is missing its {{end}}`, pos);
    }
    const close = this.expect("close", this.stop.pos);
    this.stop = undefined;
    return { k: word, pipe, then, otherwise, pos, end: close.end };
  }

  private expect(t: Token["t"], actionPos: number): Token {
    const tok = this.peek();
    if (!tok || tok.t !== t) {
      const what = tok ? describe(tok) : "end of template";
      throw new TemplateError(
        `unexpected ${what} in action; expected ${t === "close" ? "}}" : t}`,
        tok?.pos ?? actionPos,
      );
    }
    this.i++;
    return tok;
  }

  private pipeline(actionPos: number): Pipeline {
    const cmds: Command[] = [];
    const start = this.peek()?.pos ?? actionPos;
    for (;;) {
      cmds.push(this.command(actionPos));
      if (this.peek()?.t !== "pipe") break;
      this.i++;
    }
    return { pos: start, cmds };
  }

  private command(actionPos: number): Command {
    const args: Operand[] = [];
    const pos = this.peek()?.pos ?? actionPos;
    for (;;) {
      const tok = this.peek();
      if (!tok || tok.t === "close" || tok.t === "pipe" || tok.t === "rparen") break;
      args.push(this.operand(actionPos));
    }
    if (args.length === 0) {
      const tok = this.peek();
      throw new TemplateError(
        tok?.t === "pipe" ? "missing command before |" : "empty command",
        tok?.pos ?? pos,
        {
          detail:
            tok?.t === "close" ? "an action needs a function or value, e.g. {{ user `name` }}" : undefined,
        },
      );
    }
    return { pos, args };
  }

  private operand(actionPos: number): Operand {
    const tok = this.next();
    switch (tok.t) {
      case "ident":
        return { k: "func", name: tok.value, pos: tok.pos };
      case "field":
        return { k: "field", path: tok.value.split("."), pos: tok.pos };
      case "dot":
        return { k: "dot", pos: tok.pos };
      case "var":
        if (tok.value !== "$") throw new TemplateError(`undefined template variable ${tok.value}`, tok.pos);
        return { k: "var", name: tok.value, pos: tok.pos };
      case "string":
        return { k: "string", value: tok.value, pos: tok.pos };
      case "number": {
        const n = Number(tok.value.replace(/_/g, ""));
        if (Number.isNaN(n)) throw new TemplateError(`bad number syntax: ${tok.value}`, tok.pos);
        return {
          k: "number",
          value: n,
          isInt: !/[.eE]/.test(tok.value) || /^[+-]?0[xX]/.test(tok.value),
          pos: tok.pos,
        };
      }
      case "bool":
        return { k: "bool", value: tok.value === "true", pos: tok.pos };
      case "nil":
        return { k: "nil", pos: tok.pos };
      case "lparen": {
        const pipe = this.pipeline(actionPos);
        this.expect("rparen", tok.pos);
        if (this.peek()?.t === "field") {
          throw new TemplateError("field access on a parenthesised value is not supported", this.peek()!.pos);
        }
        return { k: "pipe", pipe, pos: tok.pos };
      }
      default:
        throw new TemplateError(`unexpected ${describe(tok)} in action`, tok.pos);
    }
  }
}

function describe(t: Token): string {
  switch (t.t) {
    case "keyword":
      return `keyword "${t.value}"`;
    case "close":
      return "}}";
    case "open":
      return "{{";
    case "rparen":
      return '")"';
    case "lparen":
      return '"("';
    case "pipe":
      return '"|"';
    default:
      return JSON.stringify(t.value);
  }
}
