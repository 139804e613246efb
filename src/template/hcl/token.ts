// Tokens of HCL native syntax. Template text (quoted strings and heredocs) is split into literal
// runs and `${`/`%{` sequences so the parser and the formatter see the same structure.
import type { Pos } from "./ast.js";

export type Punct =
  | "{"
  | "}"
  | "["
  | "]"
  | "("
  | ")"
  | ","
  | "."
  | "..."
  | "=>"
  | "?"
  | ":"
  | "="
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "&&"
  | "||"
  | "!";

export type TokenType =
  | Punct
  | "ident"
  | "number"
  | "oquote" // opening `"`
  | "cquote" // closing `"`
  | "oheredoc" // `<<EOF` / `<<-EOF` including the newline that ends the line
  | "cheredoc" // the closing marker line (without its newline)
  | "strlit" // raw literal text of a template (escapes not decoded)
  | "interp" // `${`
  | "control" // `%{`
  | "seqend" // the `}` closing `${` or `%{`
  | "tilde" // strip marker `~` right after `${`/`%{` or right before `}`
  | "newline"
  | "comment"
  | "invalid"
  | "eof";

export interface Token {
  type: TokenType;
  /** Raw source text of the token. */
  text: string;
  start: Pos;
  end: Pos;
  /** For `oheredoc`: the marker and whether it is the indented form `<<-`. */
  heredoc?: { marker: string; flush: boolean };
  /** For `invalid` tokens: what is wrong. */
  error?: string;
}
