// `packer fmt`'s canonical layout, computed over kiln's own token stream: lines are indented two
// spaces per open bracket level, tokens are re-spaced by the kind of neighbours they have, the
// `=` of consecutive single-line arguments line up, and so do trailing comments. Heredoc bodies
// and the text inside quoted strings are left exactly as written.
import { InvalidInputError } from "../diagnostic.js";
import { diagnosticFromError } from "./diagnostics.js";
import { lex } from "./lexer.js";
import { parseFile } from "./parser.js";
import type { Token, TokenType } from "./token.js";

interface FmtToken {
  type: TokenType;
  text: string;
  spaces: number;
}

interface Line {
  lead: FmtToken[];
  assign: FmtToken[];
  comment: FmtToken[];
}

/** Formats HCL source; throws InvalidInputError when it does not parse. */
export function formatHcl(src: string, fileName = "<input>"): string {
  const parsed = parseFile(src, fileName);
  if (parsed.errors.length > 0) {
    const sources = new Map([[fileName, src]]);
    throw new InvalidInputError(parsed.errors.map((e) => diagnosticFromError(sources, e)));
  }
  const lines = splitLines(mergeStripMarkers(lex(src)));
  indent(lines);
  space(lines);
  alignAssignments(lines);
  alignComments(lines);
  return lines
    .map((l) => [...l.lead, ...l.assign, ...l.comment].map((t) => " ".repeat(t.spaces) + t.text).join(""))
    .join("\n");
}

/** `${~`, `%{~` and `~}` are single tokens for layout purposes. */
function mergeStripMarkers(tokens: Token[]): FmtToken[] {
  const out: FmtToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "eof") break;
    if (t.type === "tilde") {
      const prev = out[out.length - 1];
      if (prev && (prev.type === "interp" || prev.type === "control")) {
        prev.text += "~";
        continue;
      }
      const next = tokens[i + 1];
      if (next?.type === "seqend") {
        out.push({ type: "seqend", text: "~}", spaces: 0 });
        i++;
        continue;
      }
    }
    out.push({ type: t.type, text: t.text, spaces: 0 });
  }
  return out;
}

function bracketChange(t: FmtToken): number {
  switch (t.type) {
    case "{":
    case "[":
    case "(":
    case "interp":
    case "control":
      return 1;
    case "}":
    case "]":
    case ")":
    case "seqend":
      return -1;
    default:
      return 0;
  }
}

/** Bracket balance of tokens, not looking past a heredoc opener (its body is text). */
function netBrackets(tokens: FmtToken[]): number {
  let n = 0;
  for (const t of tokens) {
    n += bracketChange(t);
    if (t.type === "oheredoc") break;
  }
  return n;
}

function splitLines(tokens: FmtToken[]): Line[] {
  const lines: Line[] = [];
  let cur: FmtToken[] = [];
  const finish = (): void => {
    const line: Line = { lead: cur, assign: [], comment: [] };
    if (cur.length > 1 && cur[cur.length - 1]!.type === "comment") {
      line.comment = cur.slice(-1);
      line.lead = cur.slice(0, -1);
    }
    // The `=` of an argument starts the "assign" cell when the value is complete on this line.
    const eq = line.lead.findIndex((t, i) => i > 0 && t.type === "=");
    if (eq > 0 && netBrackets(line.lead.slice(eq)) === 0) {
      line.assign = line.lead.slice(eq);
      line.lead = line.lead.slice(0, eq);
    }
    lines.push(line);
    cur = [];
  };
  for (const t of tokens) {
    if (t.type === "newline") finish();
    else cur.push(t);
  }
  finish();
  return lines;
}

function indent(lines: Line[]): void {
  // Each entry: how many brackets the line that opened this level left open.
  const levels: number[] = [];
  for (const line of lines) {
    const first = line.lead[0];
    if (!first) continue;
    const net = netBrackets([...line.lead, ...line.assign]);
    if (net > 0) {
      first.spaces = 2 * levels.length;
      levels.push(net);
      continue;
    }
    let closed = -net;
    while (closed > 0 && levels.length > 0) {
      const top = levels[levels.length - 1]!;
      if (closed >= top) {
        closed -= top;
        levels.pop();
      } else {
        levels[levels.length - 1] = top - closed;
        closed = 0;
      }
    }
    first.spaces = 2 * levels.length;
  }
}

const NEGATION_CONTEXT = new Set<TokenType | "none">([
  "none",
  "(",
  "{",
  "[",
  "=",
  ":",
  ",",
  "?",
  "+",
  "*",
  "/",
  "%",
  "-",
  "==",
  "!=",
  ">",
  ">=",
  "<",
  "<=",
  "&&",
  "||",
  "!",
]);

/** Whether one space separates `subject` from the token after it. */
function spaceBetween(subject: FmtToken, before: FmtToken | undefined, after: FmtToken): boolean {
  const s = subject.type;
  const a = after.type;
  if (s === "ident" && a === "(") return false; // function call
  if (s === "." || a === ".") return false;
  if (a === "," || a === "...") return false;
  if (s === ",") return true;
  // Inside templates the literal text carries its own spacing.
  if (
    s === "strlit" ||
    s === "oquote" ||
    s === "oheredoc" ||
    a === "strlit" ||
    a === "cquote" ||
    a === "cheredoc"
  )
    return false;
  // `in [x]` in a for expression is the keyword, not an indexed reference.
  if (s === "ident" && subject.text === "in" && before?.type === "ident") return true;
  if (a === "[" && (s === "ident" || s === "number" || bracketChange(subject) < 0)) return false;
  if (s === "-") return !NEGATION_CONTEXT.has(before?.type ?? "none");
  if (s === "!") return false;
  if (s === "{" || a === "}") return !(s === "{" && a === "}");
  if ((s === "interp" || s === "control") && a === "{") return true;
  if (s === "}" && a === "seqend") return true;
  if (s === "seqend" && (a === "interp" || a === "control")) return false;
  if (bracketChange(subject) > 0) return false;
  if (bracketChange(after) < 0) return false;
  return true;
}

function spaceCell(tokens: FmtToken[]): void {
  for (let i = 0; i + 1 < tokens.length; i++) {
    tokens[i + 1]!.spaces = spaceBetween(tokens[i]!, tokens[i - 1], tokens[i + 1]!) ? 1 : 0;
  }
}

function space(lines: Line[]): void {
  for (const line of lines) {
    spaceCell(line.lead);
    if (line.assign.length > 0) {
      line.assign[0]!.spaces = 1;
      spaceCell(line.assign);
    }
  }
}

/** Width of a cell as Packer's formatter measures it: characters (code points), plus spaces. */
function columns(tokens: FmtToken[]): number {
  let n = 0;
  for (const t of tokens) {
    n += t.spaces;
    for (const _ of t.text) n++;
  }
  return n;
}

function alignAssignments(lines: Line[]): void {
  let start = -1;
  let max = 0;
  const close = (end: number): void => {
    for (const line of lines.slice(start, end)) line.assign[0]!.spaces = max - columns(line.lead) + 1;
    start = -1;
    max = 0;
  };
  lines.forEach((line, i) => {
    if (line.assign.length === 0) {
      if (start >= 0) close(i);
      return;
    }
    if (start < 0) start = i;
    max = Math.max(max, columns(line.lead));
  });
  if (start >= 0) close(lines.length);
}

function alignComments(lines: Line[]): void {
  let start = -1;
  let max = 0;
  const close = (end: number): void => {
    for (const line of lines.slice(start, end)) {
      line.comment[0]!.spaces = max - (columns(line.lead) + columns(line.assign)) + 1;
    }
    start = -1;
    max = 0;
  };
  lines.forEach((line, i) => {
    if (line.comment.length === 0) {
      if (start >= 0) close(i);
      return;
    }
    if (start < 0) start = i;
    max = Math.max(max, columns(line.lead) + columns(line.assign));
  });
  if (start >= 0) close(lines.length);
}
