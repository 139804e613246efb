// A one-line source excerpt with a caret, for syntax errors (where the position alone is not
// enough to see the slip).

export function excerptAt(text: string, at: { line: number; column: number }): string {
  const lineText = (text.split("\n")[at.line - 1] ?? "").replace(/\r$/, "");
  const num = String(at.line);
  // Keep tabs so the caret lines up under them in a terminal.
  const pad = lineText.slice(0, Math.max(0, at.column - 1)).replace(/[^\t]/g, " ");
  return `${num} | ${lineText}\n${" ".repeat(num.length)} | ${pad}^`;
}
