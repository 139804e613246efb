// Reading an exec's output. Without stdin the start request's response body carries the output;
// with stdin the connection is upgraded to a raw socket, stdin is written to it and half-closed
// (so the process sees EOF) while the output is read back.
import { inspect } from "node:util";
import type { Duplex, Readable } from "node:stream";
import { createDemuxer } from "./demux.js";
import type { Demuxer, DemuxSink } from "./demux.js";
import { EngineError } from "./errors.js";
import { writeBody } from "./http.js";

/** With a TTY the engine sends one raw stream, not frames. */
export function createOutputSink(tty: boolean, sink: DemuxSink): Demuxer {
  if (!tty) return createDemuxer(sink);
  return {
    write: (chunk) => sink.onStdout?.(chunk),
    end: () => undefined,
  };
}

export async function pumpOutput(
  body: Readable,
  output: Demuxer,
  ready?: () => Promise<void> | undefined,
  signal?: AbortSignal,
): Promise<void> {
  for await (const chunk of body as AsyncIterable<Buffer>) {
    output.write(chunk);
    // Not reading on holds the response, and so the engine and the process, back. A cancel
    // still gets through while waiting (the body, destroyed by it, then ends the loop).
    const wait = ready?.();
    if (wait) await untilSettledOrAborted(wait, signal);
  }
  output.end();
}

function untilSettledOrAborted(wait: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return wait;
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    void wait.then(done, done);
  });
}

/**
 * Aborting destroys the socket; the process in the container may keep running (the Engine API
 * has no way to signal an exec), so callers that cancel must kill the container.
 */
export function pumpUpgraded(
  connection: { socket: Duplex; head: Buffer },
  stdin: Readable,
  output: Demuxer,
  action: string,
  signal?: AbortSignal,
  ready?: () => Promise<void> | undefined,
  /** The transport's mapping of a broken connection to an error naming the engine. */
  lostConnection?: (err: Error) => EngineError,
): Promise<void> {
  const { socket, head } = connection;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let stdinClosedByPeer = false;
    let stdinDone = false;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      // The process is gone, so the rest of its input has nowhere to go; waiting on it could hang.
      if (!stdinDone) stdin.destroy();
      if (err === undefined) {
        resolve();
        return;
      }
      socket.destroy();
      reject(err instanceof Error ? err : new Error(inspect(err)));
    };
    const onAbort = (): void => {
      finish(new EngineError("aborted", `${action} was cancelled`, undefined, { cause: signal?.reason }));
    };
    const endOutput = (): void => {
      try {
        output.end();
        finish();
      } catch (err) {
        finish(err);
      }
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });

    socket.on("data", (chunk: Buffer) => {
      try {
        output.write(chunk);
      } catch (err) {
        finish(err);
        return;
      }
      const wait = ready?.();
      if (wait) {
        socket.pause();
        void wait.then(() => socket.resume());
      }
    });
    socket.on("end", endOutput);
    socket.on("error", (err: NodeJS.ErrnoException) => {
      // The process exited without reading all of its stdin: not a failure of the exec; its
      // exit code tells the story.
      if (err.code === "EPIPE" || err.code === "ECONNRESET") {
        stdinClosedByPeer = true;
        return;
      }
      finish(
        lostConnection?.(err) ??
          new EngineError("unreachable", `${action}: the exec connection failed: ${err.message}`, undefined, {
            cause: err,
          }),
      );
    });
    socket.on("close", () => {
      if (stdinClosedByPeer) endOutput();
      else
        finish(
          new EngineError("unreachable", `${action}: the exec connection closed before the output ended`),
        );
    });

    try {
      if (head.length > 0) output.write(head);
    } catch (err) {
      finish(err);
      return;
    }
    // Ending the socket's writable side when stdin ends is the half-close the process needs to see EOF.
    writeBody(stdin, socket, () => settled).then(
      () => (stdinDone = true),
      (err: unknown) => {
        stdinDone = true;
        finish(err);
      },
    );
  });
}
