// Whole-line writes to the output stream. Each message goes out in a single write() so lines from
// parallel builds never interleave mid-line. While a question is waiting for its answer, other
// lines are held back and flushed afterwards, as Packer's BasicUi does by holding its lock in Ask.

export interface LineSink {
  /** Writes `text` plus a newline (held while a prompt is open). */
  line(text: string): void;
  /** Writes `text` without a newline, waits for `read`, then releases held lines. Serialised. */
  prompt(text: string, read: () => Promise<string | undefined>): Promise<string | undefined>;
  /** A promise until the stream has drained, while it is over its high-water mark; else undefined. */
  ready(): Promise<void> | undefined;
}

export function createLineSink(out: NodeJS.WritableStream): LineSink {
  let held: string[] | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  let prompts = 0; // open or queued
  let drained: Promise<void> | undefined;

  const ask = async (text: string, read: () => Promise<string | undefined>): Promise<string | undefined> => {
    held = [];
    try {
      out.write(text);
      return await read();
    } finally {
      const pending = held.join("");
      held = undefined;
      if (pending !== "") out.write(pending);
    }
  };

  return {
    ready() {
      // stdout to a pipe is asynchronous in Node: without this, a slow reader makes kiln buffer
      // everything it prints (hundreds of MB for a chatty provisioner).
      if (!(out as { writableNeedDrain?: boolean }).writableNeedDrain) return undefined;
      drained ??= new Promise<void>((resolve) => {
        const done = (): void => {
          out.off("drain", done);
          out.off("close", done);
          out.off("error", done);
          drained = undefined;
          resolve();
        };
        out.on("drain", done);
        out.on("close", done);
        out.on("error", done);
      });
      return drained;
    },
    line(text) {
      if (held) held.push(`${text}\n`);
      else out.write(`${text}\n`);
    },
    prompt(text, read) {
      // Start at once when idle, so the question is on screen before any line written after the
      // call; otherwise wait for the questions before it.
      const asked = prompts === 0 ? ask(text, read) : tail.then(() => ask(text, read));
      prompts++;
      tail = asked.then(
        () => void prompts--,
        () => void prompts--,
      );
      return asked;
    },
  };
}
