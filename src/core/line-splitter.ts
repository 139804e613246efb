// Turns a stream of chunks into complete lines, in order, without buffering more than one line.
// Output lines are never lost: `flush` emits a trailing partial line.
import { StringDecoder } from "node:string_decoder";

export class LineSplitter {
  private decoder = new StringDecoder("utf8");
  private partial = "";

  constructor(private readonly emit: (line: string) => void) {}

  write(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.emit(line.endsWith("\r") ? line.slice(0, -1) : line);
  }

  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    if (rest.length > 0) this.emit(rest);
  }
}
