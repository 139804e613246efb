// Splits a Go `text/template` string into text and action tokens. Trim markers (`{{- ` and
// ` -}}`) are applied here, comments (`{{/* … */}}`) dropped, so the parser sees only what
// matters.
import { TemplateError } from "./errors.js";

export type TokenType =
  | "text"
  | "open" // {{
  | "close" // }}
  | "ident"
  | "field" // .A.B
  | "dot"
  | "var" // $ or $x
  | "string"
  | "number"
  | "bool"
  | "nil"
  | "keyword"
  | "pipe"
  | "lparen"
  | "rparen";

export interface Token {
  t: TokenType;
  /** Decoded value: text, identifier, string contents, field path joined by ".", number text. */
  value: string;
  pos: number;
  end: number;
}

const KEYWORDS = new Set([
  "if",
  "else",
  "end",
  "range",
  "with",
  "define",
  "template",
  "block",
  "break",
  "continue",
]);
const SPACE = new Set([" ", "\t", "\r", "\n"]);

export function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let trimNextText = false;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    const textEnd = open < 0 ? src.length : open;
    let text = src.slice(i, textEnd);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, "");
    trimNextText = false;
    if (open < 0) {
      if (text) out.push({ t: "text", value: text, pos: i, end: textEnd });
      break;
    }
    let j = open + 2;
    if (src[j] === "-" && SPACE.has(src[j + 1] ?? "")) {
      text = text.replace(/[ \t\r\n]+$/, "");
      j += 2;
    }
    if (text) out.push({ t: "text", value: text, pos: i, end: textEnd });
    const comment = lexComment(src, open, j);
    if (comment) {
      i = comment.end;
      trimNextText = comment.trim;
      continue;
    }
    out.push({ t: "open", value: "{{", pos: open, end: j });
    const r = lexAction(src, open, j, out);
    i = r.end;
    trimNextText = r.trim;
  }
  return out;
}

function lexComment(src: string, open: number, j: number): { end: number; trim: boolean } | undefined {
  if (!src.startsWith("/*", j)) return undefined;
  const close = src.indexOf("*/", j + 2);
  if (close < 0) throw new TemplateError("unclosed comment", open);
  let k = close + 2;
  let trim = false;
  if (src.startsWith(" -}}", k)) {
    trim = true;
    k += 4;
  } else if (src.startsWith("}}", k)) {
    k += 2;
  } else {
    throw new TemplateError("comment ends before closing delimiter", open);
  }
  return { end: k, trim };
}

/** Lexes one action's tokens into `out`; returns the offset after `}}`. */
function lexAction(src: string, open: number, start: number, out: Token[]): { end: number; trim: boolean } {
  let i = start;
  const push = (t: TokenType, value: string, pos: number, end: number) => out.push({ t, value, pos, end });
  for (;;) {
    if (i >= src.length) {
      throw new TemplateError("unclosed action: missing }}", open, {
        detail: "every {{ needs a matching }}",
      });
    }
    const c = src[i]!;
    if (SPACE.has(c)) {
      if (src.startsWith("-}}", i + 1)) {
        const k = i + 1;
        push("close", "}}", k, k + 3);
        return { end: k + 3, trim: true };
      }
      i++;
      continue;
    }
    if (src.startsWith("}}", i)) {
      push("close", "}}", i, i + 2);
      return { end: i + 2, trim: false };
    }
    if (c === "|") {
      push("pipe", "|", i, i + 1);
      i++;
    } else if (c === "(") {
      push("lparen", "(", i, i + 1);
      i++;
    } else if (c === ")") {
      push("rparen", ")", i, i + 1);
      i++;
    } else if (c === '"') {
      const r = lexQuoted(src, i);
      push("string", r.value, i, r.end);
      i = r.end;
    } else if (c === "`") {
      const close = src.indexOf("`", i + 1);
      if (close < 0) throw new TemplateError("unterminated raw quoted string", i);
      push("string", src.slice(i + 1, close), i, close + 1);
      i = close + 1;
    } else if (c === "'") {
      const r = lexChar(src, i);
      push("number", String(r.value), i, r.end);
      i = r.end;
    } else if (c === "." && /[A-Za-z_]/.test(src[i + 1] ?? "")) {
      const m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+/.exec(src.slice(i))!;
      push("field", m[0].slice(1), i, i + m[0].length);
      i += m[0].length;
    } else if (c === "." && !/[0-9]/.test(src[i + 1] ?? "")) {
      push("dot", ".", i, i + 1);
      i++;
    } else if (c === "$") {
      const m = /^\$[A-Za-z0-9_]*/.exec(src.slice(i))!;
      push("var", m[0], i, i + m[0].length);
      i += m[0].length;
    } else if (/[0-9+\-.]/.test(c)) {
      const m = /^[+-]?(?:0[xX][0-9a-fA-F_]+|(?:[0-9][0-9_]*)?\.?[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?)/.exec(
        src.slice(i),
      );
      if (!m || !m[0] || /[A-Za-z0-9_]/.test(src[i + m[0].length] ?? "")) {
        throw new TemplateError(
          `bad number syntax: ${JSON.stringify(src.slice(i, i + 10).split(/[\s}]/)[0])}`,
          i,
        );
      }
      push("number", m[0], i, i + m[0].length);
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      const word = m[0];
      const t: TokenType =
        word === "true" || word === "false"
          ? "bool"
          : word === "nil"
            ? "nil"
            : KEYWORDS.has(word)
              ? "keyword"
              : "ident";
      push(t, word, i, i + word.length);
      i += word.length;
    } else if (c === ":" || c === "=") {
      throw new TemplateError("template variables ($x := …) are not supported", i);
    } else {
      throw new TemplateError(`unexpected ${JSON.stringify(c)} in action`, i);
    }
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/** Decodes a Go escape sequence at src[i] (the backslash); returns the text and the next offset. */
function decodeEscape(src: string, i: number, quote: string): { text: string; end: number } {
  const e = src[i + 1];
  if (e === undefined) throw new TemplateError("unterminated quoted string", i);
  if (e in SIMPLE_ESCAPES && (e !== "'" || quote === "'") && (e !== '"' || quote === '"')) {
    return { text: SIMPLE_ESCAPES[e]!, end: i + 2 };
  }
  const hexLen = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
  if (hexLen) {
    const hex = src.slice(i + 2, i + 2 + hexLen);
    if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex))
      throw new TemplateError(`invalid escape \\${e}${hex}`, i);
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) throw new TemplateError(`escape \\${e}${hex} is not a valid Unicode code point`, i);
    return { text: String.fromCodePoint(code), end: i + 2 + hexLen };
  }
  if (/[0-7]/.test(e)) {
    const oct = src.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(oct)) throw new TemplateError(`invalid octal escape \\${oct}`, i);
    return { text: String.fromCharCode(parseInt(oct, 8)), end: i + 4 };
  }
  throw new TemplateError(`unknown escape sequence \\${e}`, i, {
    detail: "in a double-quoted template string use \\\\ for a backslash, or a `raw string` in backticks",
  });
}

function lexQuoted(src: string, start: number): { value: string; end: number } {
  let i = start + 1;
  let value = "";
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"') return { value, end: i + 1 };
    if (c === "\n") break;
    if (c === "\\") {
      const r = decodeEscape(src, i, '"');
      value += r.text;
      i = r.end;
    } else {
      value += c;
      i++;
    }
  }
  throw new TemplateError("unterminated quoted string", start);
}

function lexChar(src: string, start: number): { value: number; end: number } {
  let i = start + 1;
  let text: string;
  if (src[i] === "\\") {
    const r = decodeEscape(src, i, "'");
    text = r.text;
    i = r.end;
  } else {
    const cp = src.codePointAt(i);
    if (cp === undefined) throw new TemplateError("unterminated character constant", start);
    text = String.fromCodePoint(cp);
    i += text.length;
  }
  if (src[i] !== "'") throw new TemplateError("unterminated character constant", start);
  return { value: text.codePointAt(0)!, end: i + 1 };
}
