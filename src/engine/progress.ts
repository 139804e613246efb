// Newline-delimited JSON progress streams (pull, push, import, load). The HTTP status is 200 even
// when the operation fails: the failure arrives as an `error`/`errorDetail` line, so every line is
// parsed and an error line throws.
import type { Readable } from "node:stream";
import { EngineError } from "./errors.js";
import type { ProgressEvent } from "./types.js";

// A line longer than this is not a progress event; refusing it keeps memory bounded.
const MAX_LINE = 1024 * 1024;

/** Yields each decoded event; throws EngineError("stream") on an in-band error line. */
export async function* readProgress(stream: Readable, action: string): AsyncGenerator<ProgressEvent> {
  let pending = "";
  const decoder = new TextDecoder("utf-8");
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      const event = parseProgressLine(line, action);
      if (event) yield event;
    }
    if (pending.length > MAX_LINE) {
      throw new EngineError("stream", `${action}: a progress line exceeded ${MAX_LINE} bytes`);
    }
  }
  pending += decoder.decode();
  const event = parseProgressLine(pending, action);
  if (event) yield event;
}

export function parseProgressLine(line: string, action: string): ProgressEvent | undefined {
  const text = line.trim();
  if (text === "") return undefined;
  let event: ProgressEvent;
  try {
    event = JSON.parse(text) as ProgressEvent;
  } catch (cause) {
    throw new EngineError(
      "stream",
      `${action}: the engine sent a line that is not JSON: ${text.slice(0, 200)}`,
      undefined,
      {
        cause,
      },
    );
  }
  if (event === null || typeof event !== "object") {
    throw new EngineError(
      "stream",
      `${action}: the engine sent an unexpected progress line: ${text.slice(0, 200)}`,
    );
  }
  if (event.error !== undefined || event.errorDetail !== undefined) {
    const detail = event.errorDetail?.message || event.error || "unknown error";
    throw new EngineError("stream", `${action}: ${detail}`);
  }
  return event;
}

/** Reads a whole progress stream, forwarding events; resolves with the last event seen. */
export async function consumeProgress(
  stream: Readable,
  action: string,
  onProgress?: (event: ProgressEvent) => void,
): Promise<ProgressEvent | undefined> {
  let last: ProgressEvent | undefined;
  for await (const event of readProgress(stream, action)) {
    onProgress?.(event);
    last = event;
  }
  return last;
}

export interface PushResult {
  digest: string;
  size?: number;
}

const DIGEST_STATUS = /digest: (sha256:[a-f0-9]{64}) size: (\d+)/;

/**
 * The manifest digest confirmed by a push event: Docker sends `aux.Digest`, Podman 4.3 only the
 * status line "<tag>: digest: sha256:… size: N" (Docker sends both).
 */
export function pushResultFromEvent(event: ProgressEvent): PushResult | undefined {
  if (event.aux?.Digest) {
    return { digest: event.aux.Digest, ...(event.aux.Size !== undefined ? { size: event.aux.Size } : {}) };
  }
  const match = event.status ? DIGEST_STATUS.exec(event.status) : null;
  if (match?.[1] && match[2]) return { digest: match[1], size: Number(match[2]) };
  return undefined;
}

/** Reads a push stream; a stream that ends without a digest is a failed push. */
export async function consumePushProgress(
  stream: Readable,
  action: string,
  onProgress?: (event: ProgressEvent) => void,
): Promise<PushResult> {
  let result: PushResult | undefined;
  for await (const event of readProgress(stream, action)) {
    onProgress?.(event);
    result = pushResultFromEvent(event) ?? result;
  }
  if (!result) {
    throw new EngineError("stream", `${action}: the push ended without the registry confirming a digest`);
  }
  return result;
}
