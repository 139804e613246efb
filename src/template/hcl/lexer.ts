// Scanner for HCL native syntax. Three modes nest on a stack: normal (expressions and bodies),
// quoted template and heredoc template; `${`/`%{` inside a template push a normal frame that the
// matching `}` pops, so `"a${ {b = "c"} }d"` lexes correctly.
import type { Pos } from "./ast.js";
import type { Token, TokenType } from "./token.js";

type Frame =
  | { mode: "normal"; braces: number; interp: boolean }
  | { mode: "quoted" }
  | { mode: "heredoc"; marker: string; lineStart: boolean; opener: Token }
  | { mode: "bare" };

const PUNCT2 = new Set(["=>", "==", "!=", "<=", ">=", "&&", "||"]);
const PUNCT1 = new Set(["[", "]", "(", ")", ",", ".", "?", ":", "=", "<", ">", "+", "-", "*", "/", "%", "!"]);

const ID_START = /[\p{ID_Start}_]/u;
const ID_CONTINUE = /[\p{ID_Continue}-]/u;

function isIdStart(c: string): boolean {
  const code = c.charCodeAt(0);
  if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95) return true;
  return code > 127 && ID_START.test(c);
}
function isIdContinue(c: string): boolean {
  const code = c.charCodeAt(0);
  if (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 45
  ) {
    return true;
  }
  return code > 127 && ID_CONTINUE.test(c);
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

export interface LexOptions {
  /** Lex the whole input as template text (templatefile(), var-file-free templates). */
  template?: boolean;
}

export function lex(src: string, opts: LexOptions = {}): Token[] {
  return new Lexer(
    src,
    opts.template ? { mode: "bare" } : { mode: "normal", braces: 0, interp: false },
  ).run();
}

class Lexer {
  private i = 0;
  private line = 1;
  private col = 1;
  private readonly tokens: Token[] = [];
  private readonly stack: Frame[];

  constructor(
    private readonly src: string,
    initial: Frame,
  ) {
    this.stack = [initial];
  }

  run(): Token[] {
    // Skip a UTF-8 byte order mark; editors on Windows add one.
    if (this.src.charCodeAt(0) === 0xfeff) this.advance(1);
    while (this.i < this.src.length) {
      const frame = this.stack[this.stack.length - 1]!;
      switch (frame.mode) {
        case "normal":
          this.normal(frame);
          break;
        case "quoted":
          this.quoted();
          break;
        case "heredoc":
          this.heredoc(frame);
          break;
        case "bare":
          this.templateText("bare");
          break;
      }
    }
    const top = this.stack[this.stack.length - 1]!;
    if (top.mode === "heredoc") {
      // Point at the opener: the end of the file says nothing about which heredoc is open.
      const o = top.opener;
      const end = {
        line: o.start.line,
        column: o.start.column + 2 + (o.heredoc!.flush ? 1 : 0) + top.marker.length,
        offset: o.start.offset + 2 + (o.heredoc!.flush ? 1 : 0) + top.marker.length,
      };
      this.tokens.push({
        type: "invalid",
        text: "",
        start: o.start,
        end,
        error: `Unterminated heredoc: no line with the closing marker "${top.marker}" follows this opener`,
      });
    } else if (top.mode === "quoted") {
      this.emitError("Unterminated template string");
    }
    const p = this.pos();
    this.tokens.push({ type: "eof", text: "", start: p, end: p });
    return this.tokens;
  }

  private pos(): Pos {
    return { line: this.line, column: this.col, offset: this.i };
  }

  private advance(n: number): void {
    const end = Math.min(this.src.length, this.i + n);
    for (; this.i < end; this.i++) {
      if (this.src.charCodeAt(this.i) === 10) {
        this.line++;
        this.col = 1;
      } else {
        this.col++;
      }
    }
  }

  private emit(type: TokenType, length: number, extra?: Partial<Token>): Token {
    const start = this.pos();
    const text = this.src.slice(this.i, this.i + length);
    this.advance(length);
    const tok: Token = { type, text, start, end: this.pos() };
    if (extra) Object.assign(tok, extra);
    this.tokens.push(tok);
    return tok;
  }

  /** A zero-width error token at the current position (the problem is what is missing). */
  private emitError(error: string): void {
    const p = this.pos();
    this.tokens.push({ type: "invalid", text: "", start: p, end: p, error });
  }

  private normal(frame: Extract<Frame, { mode: "normal" }>): void {
    const s = this.src;
    const c = s[this.i]!;
    if (c === " " || c === "\t" || c === "\r") {
      this.advance(1);
      return;
    }
    if (c === "\n") {
      this.emit("newline", 1);
      return;
    }
    if (c === "#" || (c === "/" && s[this.i + 1] === "/")) {
      let j = this.i;
      while (j < s.length && s[j] !== "\n") j++;
      if (s[j - 1] === "\r") j--;
      this.emit("comment", j - this.i);
      return;
    }
    if (c === "/" && s[this.i + 1] === "*") {
      const end = s.indexOf("*/", this.i + 2);
      if (end < 0) {
        this.emit("invalid", s.length - this.i, { error: "Unterminated comment: no closing */" });
        return;
      }
      this.emit("comment", end + 2 - this.i);
      return;
    }
    if (isDigit(c)) {
      let j = this.i;
      while (isDigit(s[j])) j++;
      if (s[j] === "." && isDigit(s[j + 1])) {
        j++;
        while (isDigit(s[j])) j++;
      }
      if (s[j] === "e" || s[j] === "E") {
        let k = j + 1;
        if (s[k] === "+" || s[k] === "-") k++;
        if (isDigit(s[k])) {
          while (isDigit(s[k])) k++;
          j = k;
        }
      }
      this.emit("number", j - this.i);
      return;
    }
    if (isIdStart(c) || (c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdbff)) {
      let j = this.i;
      while (j < s.length) {
        const code = s.charCodeAt(j);
        if (code < 128) {
          // ASCII fast path: letters, digits, "_" and "-".
          const ok = j === this.i ? isIdStart(s[j]!) : isIdContinue(s[j]!);
          if (!ok) break;
          j++;
          continue;
        }
        // Iterate by code point so astral letters stay whole.
        const ch = String.fromCodePoint(s.codePointAt(j)!);
        if (j === this.i ? !isIdStart(ch) : !isIdContinue(ch)) break;
        j += ch.length;
      }
      if (j === this.i) {
        this.emit("invalid", c.length, { error: `Invalid character ${JSON.stringify(c)}` });
        return;
      }
      this.emit("ident", j - this.i);
      return;
    }
    if (c === '"') {
      this.emit("oquote", 1);
      this.stack.push({ mode: "quoted" });
      return;
    }
    if (c === "<" && s[this.i + 1] === "<") {
      const m = /^<<(-?)([\p{ID_Start}_][\p{ID_Continue}-]*)[ \t]*\r?\n/u.exec(s.slice(this.i, this.i + 300));
      if (m) {
        const opener = this.emit("oheredoc", m[0].length, {
          heredoc: { marker: m[2]!, flush: m[1] === "-" },
        });
        this.stack.push({ mode: "heredoc", marker: m[2]!, lineStart: true, opener });
        return;
      }
    }
    if (c === "{") {
      frame.braces++;
      this.emit("{", 1);
      return;
    }
    if (c === "}") {
      if (frame.braces > 0) {
        frame.braces--;
        this.emit("}", 1);
      } else if (frame.interp) {
        this.stack.pop();
        this.emit("seqend", 1);
      } else {
        this.emit("}", 1);
      }
      return;
    }
    if (c === "~" && s[this.i + 1] === "}" && frame.interp && frame.braces === 0) {
      this.emit("tilde", 1);
      return;
    }
    if (c === "." && s[this.i + 1] === "." && s[this.i + 2] === ".") {
      this.emit("...", 3);
      return;
    }
    const two = c + (s[this.i + 1] ?? "");
    if (PUNCT2.has(two)) {
      this.emit(two as TokenType, 2);
      return;
    }
    if (PUNCT1.has(c)) {
      this.emit(c as TokenType, 1);
      return;
    }
    const cp = String.fromCodePoint(s.codePointAt(this.i)!);
    let hint = "";
    if (c === "'") hint = '; strings are quoted with double quotes (") in HCL';
    else if (c === "$" && s[this.i + 1] === "{")
      hint = "; `${` is only valid inside a quoted string or heredoc";
    else if (c === "\u201c" || c === "\u201d")
      hint = '; this is a typographic quote, use a plain double quote (")';
    this.emit("invalid", cp.length, { error: `Invalid character ${JSON.stringify(cp)}${hint}` });
  }

  /** Literal text of a quoted string up to the next `"`, `${`, `%{` or end of line. */
  private quoted(): void {
    const s = this.src;
    if (s[this.i] === '"') {
      this.stack.pop();
      this.emit("cquote", 1);
      return;
    }
    if (this.sequenceStart()) return;
    let j = this.i;
    while (j < s.length) {
      const c = s[j]!;
      if (c === '"' || c === "\n") break;
      if (c === "\\") {
        j += s[j + 1] === undefined || s[j + 1] === "\n" ? 1 : 2;
        continue;
      }
      if ((c === "$" || c === "%") && s[j + 1] === "{") break;
      if ((c === "$" || c === "%") && s[j + 1] === c && s[j + 2] === "{") {
        j += 3;
        continue;
      }
      j++;
    }
    if (j > this.i) {
      let end = j;
      if (s[j] === "\n" && s[j - 1] === "\r") end = j - 1;
      if (end > this.i) this.emit("strlit", end - this.i);
    }
    if (this.i >= s.length || s[this.i] === "\n" || s[this.i] === "\r") {
      this.stack.pop();
      this.emitError("Unterminated template string: a quoted string must end on the line it starts");
      // Leave the newline for the normal frame so the parser can resynchronise.
      if (s[this.i] === "\r") this.advance(1);
    }
  }

  private heredoc(frame: Extract<Frame, { mode: "heredoc" }>): void {
    const s = this.src;
    if (frame.lineStart) {
      frame.lineStart = false;
      let j = this.i;
      while (s[j] === " " || s[j] === "\t") j++;
      if (s.startsWith(frame.marker, j)) {
        let k = j + frame.marker.length;
        while (s[k] === " " || s[k] === "\t" || s[k] === "\r") k++;
        if (k >= s.length || s[k] === "\n") {
          this.stack.pop();
          this.emit("cheredoc", j + frame.marker.length - this.i);
          return;
        }
      }
    }
    if (this.sequenceStart()) return;
    this.templateText("heredoc");
  }

  /** `${` or `%{` (optionally followed by the strip marker `~`) starting a nested normal frame. */
  private sequenceStart(): boolean {
    const s = this.src;
    const c = s[this.i];
    if ((c === "$" || c === "%") && s[this.i + 1] === "{") {
      this.emit(c === "$" ? "interp" : "control", 2);
      this.stack.push({ mode: "normal", braces: 0, interp: true });
      if (s[this.i] === "~") this.emit("tilde", 1);
      return true;
    }
    return false;
  }

  /** Literal text of a heredoc line (up to and including its newline) or of a bare template. */
  private templateText(mode: "heredoc" | "bare"): void {
    const s = this.src;
    if (mode === "bare" && this.sequenceStart()) return;
    let j = this.i;
    while (j < s.length) {
      const c = s[j]!;
      if (c === "\n") {
        j++;
        break;
      }
      if ((c === "$" || c === "%") && s[j + 1] === "{") break;
      if ((c === "$" || c === "%") && s[j + 1] === c && s[j + 2] === "{") {
        j += 3;
        continue;
      }
      j++;
    }
    if (j > this.i) {
      const endsLine = s[j - 1] === "\n";
      this.emit("strlit", j - this.i);
      if (endsLine && mode === "heredoc") {
        const top = this.stack[this.stack.length - 1];
        if (top && top.mode === "heredoc") top.lineStart = true;
      }
    }
  }
}
