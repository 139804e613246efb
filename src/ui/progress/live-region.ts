// A terminal output with a live region at its bottom: lines written through it scroll above the
// region, which is erased before each write and drawn again after it, in the same write() so the
// terminal never shows a half-drawn state. It stands in for stdout under the human Ui's line sink
// (write, backpressure, drain events pass through to the real stream).
//
// A write that does not end with a newline (a question waiting for its answer) leaves the region
// undrawn until a line ends, so the cursor stays after the question.

/** Cursor up `n` lines, to column 1 (CSI n F), then erase to the end of the screen (CSI J). */
export function eraseSequence(lines: number): string {
  return lines > 0 ? `\u001b[${lines}F\u001b[J` : "";
}

export class LiveRegion {
  private drawn: string[] = [];
  private lines: string[] = [];
  private atLineStart = true;
  private closed = false;

  constructor(private readonly out: NodeJS.WritableStream) {}

  /** Scrolling output (whole lines from the line sink, or a question). */
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    const erase = this.eraseDrawn();
    this.atLineStart = text.endsWith("\n");
    const redraw = this.atLineStart ? this.draw() : "";
    return (this.out.write as (c: string, ...r: unknown[]) => boolean)(erase + text + redraw, ...rest);
  }

  /** New region lines (already fitted to the width); drawn at once unless a question is open. */
  update(lines: readonly string[]): void {
    if (this.closed) return;
    if (sameLines(lines, this.drawn) && this.drawn.length > 0) return;
    this.lines = [...lines];
    if (!this.atLineStart) return;
    const text = this.eraseDrawn() + this.draw();
    if (text !== "") this.out.write(text);
  }

  /** Erases the region for good (end of the run, an interrupt, an error); later writes pass through. */
  clear(): void {
    if (this.closed) return;
    this.closed = true;
    this.lines = [];
    const erase = this.atLineStart ? this.eraseDrawn() : "";
    if (erase !== "") this.out.write(erase);
  }

  /** The erase sequence for the region as drawn now, for a synchronous last write at exit. */
  pendingErase(): string {
    return this.atLineStart ? eraseSequence(this.drawn.length) : "";
  }

  get writableNeedDrain(): boolean {
    return Boolean((this.out as { writableNeedDrain?: boolean }).writableNeedDrain);
  }

  on(event: string, listener: (...args: unknown[]) => void): this {
    this.out.on(event, listener);
    return this;
  }

  off(event: string, listener: (...args: unknown[]) => void): this {
    this.out.off(event, listener);
    return this;
  }

  private eraseDrawn(): string {
    const erase = eraseSequence(this.drawn.length);
    this.drawn = [];
    return erase;
  }

  private draw(): string {
    if (this.closed || this.lines.length === 0) return "";
    this.drawn = this.lines;
    return this.lines.map((l) => `${l}\n`).join("");
  }
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}
