// Maps an offset in a decoded JSON string back to its file position, stepping over escapes in
// the literal, so an error in the third action of a string points at that action.
import type { SourcePos } from "../diagnostic.js";

/** `raw` is the literal as written (with quotes); `start` is the position of its opening quote. */
export function posInJsonString(raw: string, start: SourcePos, offset: number): SourcePos {
  let r = 1;
  for (let d = 0; d < offset && r < raw.length - 1; d++) {
    // "\uXXXX" decodes to one UTF-16 unit, other escapes ("\n", "\"") to one as well.
    r += raw[r] === "\\" ? (raw[r + 1] === "u" ? 6 : 2) : 1;
  }
  return { file: start.file, line: start.line, column: start.column + r };
}
