// A problem found in a template or on the command line, with enough to act on it.
export interface SourcePos {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
}

export interface Diagnostic {
  severity: "error" | "warning";
  pos?: SourcePos;
  /** One line: what is wrong. */
  summary: string;
  /** What was expected, and how to fix it. */
  detail?: string;
  /** "did you mean …" candidates, best first. */
  suggestions?: string[];
}

/** Thrown (never printed with a stack) when input is invalid; the CLI exits 2. */
export class InvalidInputError extends Error {
  override readonly name = "InvalidInputError";
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join("\n"));
  }
}

export function formatPos(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}:${pos.column}: ` : "";
}

export function formatDiagnostic(d: Diagnostic): string {
  let out = `${formatPos(d.pos)}${d.severity}: ${d.summary}`;
  if (d.suggestions && d.suggestions.length > 0) {
    out += `; did you mean ${d.suggestions.map((s) => `"${s}"`).join(" or ")}?`;
  }
  if (d.detail) out += `\n  ${d.detail.replace(/\n/g, "\n  ")}`;
  return out;
}

/** Diagnostics in reading order: by file (first-seen order), line, column; unpositioned last. */
export function sortByPosition(diags: Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const d of diags) if (d.pos && !fileOrder.has(d.pos.file)) fileOrder.set(d.pos.file, fileOrder.size);
  return diags
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const pa = a.d.pos;
      const pb = b.d.pos;
      if (!pa || !pb) return (pa ? 1 : 0) - (pb ? 1 : 0) || a.i - b.i;
      return (
        fileOrder.get(pa.file)! - fileOrder.get(pb.file)! ||
        pa.line - pb.line ||
        pa.column - pb.column ||
        a.i - b.i
      );
    })
    .map(({ d }) => d);
}
