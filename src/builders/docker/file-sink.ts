// Where downloaded files are written: small files with synchronous calls (a thread-pool round
// trip per open/write/close made each one cost milliseconds on a busy machine), large ones with
// positional asynchronous writes, several in flight, so the disk works while the next bytes
// arrive from the engine; memory stays bounded by the in-flight window. The engine's bytes arrive
// in socket-sized chunks (about 64 KiB): they are gathered into one `writev` per WRITE_BYTES, since
// a thread-pool round trip per chunk made a large download about 30 % slower than `docker cp`.
import { close, closeSync, openSync, writev, writeSync } from "node:fs";
import type { TarEntrySink } from "./tar-reader.js";

/** Files up to this size are written synchronously as their bytes arrive. */
const SMALL_FILE = 1 << 20;
/** Bytes of a large file written but not yet acknowledged before the stream waits. */
const IN_FLIGHT = 8 << 20;
/** Chunks of a large file are gathered up to this many bytes per write. */
const WRITE_BYTES = 1 << 20;

/** A sink writing an entry's body to `path` (created with `mode`, as `open(2)` applies it). */
export function fileSink(
  path: string,
  mode: number,
  size: number,
  track: (fd: number | undefined) => void,
): TarEntrySink {
  const fd = openSync(path, "w", mode);
  track(fd);
  if (size <= SMALL_FILE) {
    return {
      data: (c) => {
        for (let off = 0; off < c.length;) off += writeSync(fd, c, off);
      },
      end: () => {
        track(undefined);
        closeSync(fd);
      },
    };
  }
  let position = 0;
  let inFlight = 0;
  let failure: Error | undefined;
  let drained: (() => void) | undefined;
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  const writeAll = (bufs: Buffer[], bytes: number, at: number): void => {
    writev(fd, bufs, at, (err, n) => {
      if (err) {
        failure ??= err;
        inFlight -= bytes;
      } else {
        inFlight -= n;
        if (n < bytes) return writeAll([Buffer.concat(bufs).subarray(n)], bytes - n, at + n);
      }
      if (drained && (inFlight <= IN_FLIGHT / 2 || failure)) {
        const d = drained;
        drained = undefined;
        d();
      }
    });
  };
  const flush = (): void => {
    if (gatheredBytes === 0) return;
    writeAll(gathered, gatheredBytes, position);
    position += gatheredBytes;
    gathered = [];
    gatheredBytes = 0;
  };
  const settle = (limit: number): Promise<void> | undefined => {
    if (failure) return Promise.reject(failure);
    if (inFlight <= limit) return undefined;
    return new Promise<void>((resolve) => (drained = resolve)).then(() => settle(limit));
  };
  return {
    data: (c) => {
      // Not copied: a stream never reuses a chunk it has handed on.
      inFlight += c.length;
      gathered.push(c);
      gatheredBytes += c.length;
      if (gatheredBytes >= WRITE_BYTES) flush();
      return settle(IN_FLIGHT);
    },
    end: async () => {
      flush();
      await settle(0);
      track(undefined);
      await new Promise<void>((resolve, reject) => close(fd, (e) => (e ? reject(e) : resolve())));
    },
  };
}
