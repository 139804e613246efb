// JSON text → position-carrying ValueNode tree (momoa does the parsing). Syntax errors get a
// file:line:col, a plain-words summary, a hint for the usual slips (trailing or missing comma,
// single quotes, comments, unclosed brackets) and a source excerpt. Duplicate keys, which
// JSON.parse would silently collapse, are errors everywhere, all reported at once.
import { parse, tokenize, type AnyNode, type ValueNode as MomoaNode } from "@humanwhocodes/momoa";
import { InvalidInputError, type Diagnostic, type SourcePos } from "../diagnostic.js";
import type { ObjectEntry, ValueNode } from "../value-tree.js";
import { excerptAt } from "./excerpt.js";

export interface ParsedJson {
  file: string;
  text: string;
  root: ValueNode;
  /** The JSON literal (with quotes and escapes) of every string node, keyed by the node's `pos`. */
  rawStrings: WeakMap<SourcePos, string>;
}

/** `rawStrings` may be shared between files so one renderer maps positions in all of them. */
export function parseJson(
  text: string,
  file: string,
  rawStrings = new WeakMap<SourcePos, string>(),
): ParsedJson {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let doc;
  try {
    doc = parse(src, { mode: "json", ranges: true });
  } catch (e) {
    const err = e as Error & { line?: number; column?: number; offset?: number };
    if (typeof err.offset !== "number") throw e;
    throw new InvalidInputError([syntaxDiagnostic(src, file, err.message, err.offset)]);
  }
  const dups: Diagnostic[] = [];
  const pos = (n: AnyNode): SourcePos => ({ file, line: n.loc.start.line, column: n.loc.start.column });
  const convert = (n: MomoaNode): ValueNode => {
    switch (n.type) {
      case "String": {
        const p = pos(n);
        rawStrings.set(p, src.slice(n.range![0], n.range![1]));
        return { kind: "string", value: n.value, pos: p };
      }
      case "Number":
        return { kind: "number", value: n.value, pos: pos(n) };
      case "Boolean":
        return { kind: "bool", value: n.value, pos: pos(n) };
      case "Null":
        return { kind: "null", pos: pos(n) };
      case "Array":
        return { kind: "array", items: n.elements.map((el) => convert(el.value)), pos: pos(n) };
      case "Object": {
        const seen = new Map<string, SourcePos>();
        const entries: ObjectEntry[] = [];
        for (const m of n.members) {
          const key = m.name.type === "String" ? m.name.value : m.name.name;
          const keyPos = pos(m.name);
          const first = seen.get(key);
          if (first) {
            dups.push({
              severity: "error",
              pos: keyPos,
              summary: `duplicate key ${JSON.stringify(key)}`,
              detail: `first defined at line ${first.line}, column ${first.column}; a JSON object must not repeat a key (Packer: "template has duplicate field")`,
            });
            continue;
          }
          seen.set(key, keyPos);
          if (m.name.type === "String") rawStrings.set(keyPos, src.slice(m.name.range![0], m.name.range![1]));
          entries.push({ key, keyPos, value: convert(m.value) });
        }
        return { kind: "object", entries, pos: pos(n) };
      }
      default:
        // NaN/Infinity/identifiers only exist in JSON5 mode.
        return { kind: "null", pos: pos(n) };
    }
  };
  const root = convert(doc.body);
  if (dups.length > 0) throw new InvalidInputError(dups);
  return { file, text: src, root, rawStrings };
}

const TOKEN_TEXT: Record<string, string> = {
  LBrace: '"{"',
  RBrace: '"}"',
  LBracket: '"["',
  RBracket: '"]"',
  Comma: '","',
  Colon: '":"',
  String: "a string",
  Number: "a number",
  Boolean: "true/false",
  Null: "null",
};
const VALUE_START = new Set(["String", "Number", "Boolean", "Null", "LBrace", "LBracket"]);
const VALUE_END = new Set(["String", "Number", "Boolean", "Null", "RBrace", "RBracket"]);

export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The brackets still open at `upTo`, innermost last (strings skipped). */
function openBrackets(text: string, upTo: number): { ch: string; offset: number }[] {
  const stack: { ch: string; offset: number }[] = [];
  let inString = false;
  for (let i = 0; i < upTo && i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") stack.push({ ch: c, offset: i });
    else if (c === "}" || c === "]") stack.pop();
  }
  return stack;
}

function unclosedString(text: string): number | undefined {
  let start: number | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (start !== undefined) {
      if (c === "\\") i++;
      else if (c === '"' || c === "\n") start = undefined;
    } else if (c === '"') {
      start = i;
    }
  }
  return start;
}

function tokensBefore(text: string, offset: number): { type: string; offset: number }[] {
  try {
    return tokenize(text.slice(0, offset), { mode: "json", ranges: true }).map((t) => ({
      type: t.type,
      offset: t.range![0],
    }));
  } catch {
    return [];
  }
}

function syntaxDiagnostic(text: string, file: string, message: string, offset: number): Diagnostic {
  const at = (o: number): SourcePos => ({ file, ...lineCol(text, o) });
  const diag = (o: number, summary: string, hint?: string): Diagnostic => ({
    severity: "error",
    pos: at(o),
    summary: `invalid JSON: ${summary}`,
    detail: [hint, excerptAt(text, lineCol(text, o))].filter(Boolean).join("\n"),
  });
  const prev = tokensBefore(text, offset);
  const last = prev[prev.length - 1];
  const beforeLast = prev[prev.length - 2];

  if (/end of input/.test(message)) {
    if (text.trim() === "")
      return diag(
        0,
        "the file is empty",
        'a template is a JSON object, e.g. {"builders": [{"type": "docker", "image": "debian:12", "commit": true}]}',
      );
    const str = unclosedString(text);
    if (str !== undefined)
      return diag(str, "unterminated string", "close the string with a double quote on the same line");
    const open = openBrackets(text, text.length).pop();
    if (open) {
      const { line, column } = lineCol(text, open.offset);
      const close = open.ch === "{" ? "}" : "]";
      return diag(
        open.offset,
        `unclosed ${open.ch}`,
        `the ${open.ch} at line ${line}, column ${column} is never closed: add the matching ${close}`,
      );
    }
    return diag(offset, "unexpected end of file");
  }
  const ch = /Unexpected character '(.+)' found/s.exec(message)?.[1];
  if (ch !== undefined) {
    if (ch === "'") return diag(offset, "single quote", "JSON strings need double quotes");
    if (ch === "/")
      return diag(
        offset,
        "comment",
        'JSON does not allow comments; use a key starting with "_", e.g. "_comment": "…"',
      );
    if (ch === "\ufeff") return diag(offset, "byte-order mark in the middle of the file");
    if (/[0-9]/.test(ch))
      return diag(
        offset - 1,
        "number with a leading zero",
        "JSON numbers cannot start with 0; quote the value if it is a string",
      );
    if (text[offset - 1] === "\\")
      return diag(offset - 1, `invalid escape \\${ch}`, "in JSON strings write a backslash as \\\\");
    if (/[A-Za-z_]/.test(ch)) {
      // The parser's offset does not always point at the character it names (found by the fuzzer).
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(offset))?.[0] ?? ch;
      if (last?.type === "String") {
        return diag(
          offset,
          `unexpected "${word}" after a string`,
          "is a closing double quote missing in the string before it?",
        );
      }
      return diag(
        offset,
        `invalid value ${word}`,
        "JSON literals are true, false and null (lower case); strings need double quotes",
      );
    }
    return diag(offset, `unexpected character ${JSON.stringify(ch)}`);
  }
  const ident = /Unexpected identifier '(.*)' found/s.exec(message)?.[1];
  if (ident !== undefined) {
    return diag(
      offset,
      `invalid value ${ident}`,
      "JSON literals are true, false and null (lower case); strings need double quotes",
    );
  }
  const tok = /Unexpected token (\w+) found/.exec(message)?.[1];
  if (tok) {
    const what = TOKEN_TEXT[tok] ?? tok;
    if ((tok === "RBrace" || tok === "RBracket") && last?.type === "Comma") {
      return diag(
        last.offset,
        `trailing comma before ${what}`,
        "JSON does not allow a comma after the last element: remove it",
      );
    }
    if (tok === "RBrace" || tok === "RBracket") {
      const open = openBrackets(text, offset).pop();
      const expected = open?.ch === "{" ? "}" : "]";
      if (open && expected !== text[offset]) {
        const { line, column } = lineCol(text, open.offset);
        return diag(
          offset,
          `unexpected ${what}`,
          `expected ${expected} to close the ${open.ch} at line ${line}, column ${column}`,
        );
      }
      if (!open)
        return diag(offset, `unexpected ${what}`, "there is no open { or [ for it to close: remove it");
    }
    if (
      VALUE_START.has(tok) &&
      last?.type === "String" &&
      (beforeLast?.type === "LBrace" || beforeLast?.type === "Comma")
    ) {
      const inObject = openBrackets(text, offset).pop()?.ch === "{";
      if (inObject)
        return diag(offset, `missing ":" before ${what}`, 'write a key and its value as "key": value');
    }
    if (VALUE_START.has(tok) && last && VALUE_END.has(last.type)) {
      if (openBrackets(text, offset).length === 0) {
        return diag(
          offset,
          `unexpected ${what} after the end of the template`,
          "a template is one JSON object: remove what follows its closing }",
        );
      }
      const { line } = lineCol(text, last.offset);
      return diag(offset, `missing comma before ${what}`, `add a comma after the value on line ${line}`);
    }
    return diag(offset, `unexpected ${what}`);
  }
  return diag(offset, message.replace(/\s*\(\d+:\d+\)$/, ""));
}
