// Errors raised while parsing or evaluating HCL, and their conversion to kiln Diagnostics with a
// source excerpt and a caret under the offending range.
import type { Diagnostic } from "../diagnostic.js";
import { toSourcePos, type Range } from "./ast.js";

export class HclError extends Error {
  override readonly name = "HclError";
  constructor(
    readonly summary: string,
    readonly range?: Range,
    readonly detail?: string,
    readonly suggestions?: string[],
  ) {
    super(summary);
  }
}

/**
 * Thrown when a value depends on something that already failed (a broken variable or local):
 * the first error was reported, repeating it at every use would only bury it.
 */
export class SuppressedError extends Error {
  override readonly name = "SuppressedError";
}

/** Source texts by file name, so diagnostics can quote the offending line. */
export type SourceMap = Map<string, string>;

export function excerpt(text: string, range: Range): string {
  const lines = text.split("\n");
  const lineText = (lines[range.start.line - 1] ?? "").replace(/\r$/, "");
  const num = String(range.start.line);
  const gutter = " ".repeat(num.length);
  const startCol = Math.max(1, range.start.column);
  const endCol =
    range.end.line === range.start.line ? Math.max(range.end.column, startCol + 1) : lineText.length + 1;
  const width = Math.max(1, Math.min(endCol, lineText.length + 1) - startCol);
  // Tabs before the caret keep their width so the caret lines up in a terminal.
  const pad = lineText.slice(0, startCol - 1).replace(/[^\t]/g, " ");
  return `${num} | ${lineText}\n${gutter} | ${pad}${"^".repeat(width)}`;
}

export function diagnosticFrom(
  sources: SourceMap,
  summary: string,
  range: Range | undefined,
  opts: { detail?: string; suggestions?: string[]; severity?: "error" | "warning" } = {},
): Diagnostic {
  const text = range ? sources.get(range.file) : undefined;
  const quote = range && text !== undefined ? excerpt(text, range) : undefined;
  const detail = [opts.detail, quote].filter((s): s is string => !!s).join("\n\n");
  const d: Diagnostic = { severity: opts.severity ?? "error", summary };
  if (range) d.pos = toSourcePos(range);
  if (detail) d.detail = detail;
  if (opts.suggestions && opts.suggestions.length > 0) d.suggestions = opts.suggestions;
  return d;
}

export function diagnosticFromError(sources: SourceMap, e: HclError): Diagnostic {
  const opts: { detail?: string; suggestions?: string[] } = {};
  if (e.detail) opts.detail = e.detail;
  if (e.suggestions) opts.suggestions = e.suggestions;
  return diagnosticFrom(sources, e.summary, e.range, opts);
}
