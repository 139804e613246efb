// Reads answers one line at a time for `ask`. One readline interface for the Ui's lifetime: a fresh
// interface per question would buffer (and then drop) lines typed ahead of the next question.
import { createInterface } from "node:readline";
import type { Interface } from "node:readline";

export interface LineReader {
  /** The next line without surrounding whitespace, or undefined once the input has ended. */
  next(): Promise<string | undefined>;
  close(): void;
}

export function createLineReader(input: NodeJS.ReadableStream): LineReader {
  let rl: Interface | undefined;
  let ended = false;
  const lines: string[] = [];
  const waiters: ((line: string | undefined) => void)[] = [];

  const open = (): Interface => {
    const created = createInterface({ input, terminal: false, crlfDelay: Infinity });
    created.on("line", (line) => {
      const waiter = waiters.shift();
      if (waiter) waiter(line.trim());
      else lines.push(line.trim());
      // Stop reading between questions so an idle stdin does not keep the process alive.
      if (waiters.length === 0) created.pause();
    });
    created.on("close", () => {
      ended = true;
      for (const waiter of waiters.splice(0)) waiter(undefined);
    });
    return created;
  };

  return {
    next() {
      const queued = lines.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        waiters.push(resolve);
        rl ??= open();
        rl.resume();
      });
    },
    close() {
      ended = true;
      rl?.close();
    },
  };
}
