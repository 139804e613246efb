// Docker's multiplexed attach/exec stream: each frame is an 8-byte header (stream id, 3 zero
// bytes, big-endian payload length) then the payload. Payload bytes are handed on as they arrive,
// without waiting for the whole frame, so memory stays bounded whatever the frame size; only a
// header split across chunks is buffered (at most 8 bytes).
import { EngineError } from "./errors.js";

export interface DemuxSink {
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface Demuxer {
  write(chunk: Buffer): void;
  /** Throws when the stream stopped inside a frame: the output was cut short. */
  end(): void;
}

const HEADER_SIZE = 8;
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
// Docker writes its own failures (e.g. a failed exec setup) to stream 3.
const SYSTEM_ERROR = 3;
const MAX_SYSTEM_ERROR = 64 * 1024;

export function createDemuxer(sink: DemuxSink): Demuxer {
  const header = Buffer.alloc(HEADER_SIZE);
  let headerFill = 0;
  let stream = STDOUT;
  let remaining = 0;
  let systemError: Buffer[] | undefined;
  let systemErrorSize = 0;

  const deliver = (payload: Buffer): void => {
    if (payload.length === 0) return;
    if (stream === STDOUT || stream === STDIN) sink.onStdout?.(payload);
    else if (stream === STDERR) sink.onStderr?.(payload);
    else if (stream === SYSTEM_ERROR && systemErrorSize < MAX_SYSTEM_ERROR) {
      (systemError ??= []).push(Buffer.from(payload));
      systemErrorSize += payload.length;
    }
  };

  return {
    write(chunk: Buffer): void {
      let offset = 0;
      while (offset < chunk.length) {
        if (remaining === 0) {
          const take = Math.min(HEADER_SIZE - headerFill, chunk.length - offset);
          chunk.copy(header, headerFill, offset, offset + take);
          headerFill += take;
          offset += take;
          if (headerFill < HEADER_SIZE) return;
          headerFill = 0;
          stream = header[0] ?? STDOUT;
          if (stream > SYSTEM_ERROR) {
            throw new EngineError("stream", `malformed multiplexed stream: unknown stream id ${stream}`);
          }
          remaining = header.readUInt32BE(4);
          continue;
        }
        const take = Math.min(remaining, chunk.length - offset);
        deliver(chunk.subarray(offset, offset + take));
        offset += take;
        remaining -= take;
      }
    },
    end(): void {
      if (systemError) {
        throw new EngineError(
          "server",
          `the engine reported: ${Buffer.concat(systemError).toString("utf8").trim()}`,
        );
      }
      if (headerFill !== 0 || remaining !== 0) {
        throw new EngineError("stream", "the multiplexed output stream ended in the middle of a frame");
      }
    },
  };
}
