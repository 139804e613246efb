// Syntax tree of HCL native syntax. Every node keeps its source range so that every later error
// (evaluation, type conversion, schema validation) can point into the file.
import type { SourcePos } from "../diagnostic.js";

export interface Pos {
  line: number; // 1-based
  column: number; // 1-based, in UTF-16 code units
  offset: number; // 0-based index into the source string (equals the byte offset for ASCII files)
}

export interface Range {
  file: string;
  start: Pos;
  end: Pos;
}

export function toSourcePos(r: Range): SourcePos {
  return { file: r.file, line: r.start.line, column: r.start.column };
}

export type BinaryOp = "||" | "&&" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%";

/** Literal text inside a template; escapes already decoded. */
export interface TemplateLiteral {
  kind: "lit";
  text: string;
  range: Range;
}
export interface TemplateInterp {
  kind: "interp";
  expr: Expr;
  range: Range;
}
export interface TemplateIf {
  kind: "if";
  cond: Expr;
  then: TemplatePart[];
  else?: TemplatePart[];
  range: Range;
}
export interface TemplateFor {
  kind: "for";
  keyVar?: string;
  valueVar: string;
  coll: Expr;
  body: TemplatePart[];
  range: Range;
}
export type TemplatePart = TemplateLiteral | TemplateInterp | TemplateIf | TemplateFor;

export type Expr =
  | { kind: "literal"; value: null | boolean | number; range: Range }
  | { kind: "template"; parts: TemplatePart[]; heredoc: boolean; range: Range }
  | { kind: "variable"; name: string; range: Range }
  | { kind: "getattr"; obj: Expr; name: string; nameRange: Range; range: Range }
  | { kind: "index"; obj: Expr; key: Expr; range: Range }
  | { kind: "splat"; source: Expr; each: Expr; range: Range }
  /** The element placeholder inside a splat's `each` expression. */
  | { kind: "anon"; range: Range }
  | { kind: "call"; name: string; nameRange: Range; args: Expr[]; expandFinal: boolean; range: Range }
  | { kind: "conditional"; cond: Expr; then: Expr; else: Expr; range: Range }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; opRange: Range; range: Range }
  | { kind: "unary"; op: "!" | "-"; operand: Expr; range: Range }
  | { kind: "tuple"; items: Expr[]; range: Range }
  | { kind: "object"; items: ObjectItem[]; range: Range }
  | {
      kind: "for";
      keyVar?: string;
      valueVar: string;
      coll: Expr;
      keyExpr?: Expr; // present for object `for` expressions
      valueExpr: Expr;
      cond?: Expr;
      group: boolean;
      range: Range;
    }
  | { kind: "paren"; expr: Expr; range: Range };

export interface ObjectItem {
  key: Expr;
  /** A bare identifier key (`a = 1`) is a literal name, never a variable reference. */
  bareKey?: string;
  value: Expr;
  range: Range;
}

export interface Attribute {
  kind: "attribute";
  name: string;
  nameRange: Range;
  expr: Expr;
  range: Range;
}

export interface BlockLabel {
  value: string;
  range: Range;
}

export interface Block {
  kind: "block";
  type: string;
  typeRange: Range;
  labels: BlockLabel[];
  body: Body;
  /** From the block type to the opening brace: what error messages point at. */
  headerRange: Range;
  range: Range;
}

export interface Body {
  items: (Attribute | Block)[];
  range: Range;
}

export interface SourceFile {
  path: string;
  text: string;
  body: Body;
}
