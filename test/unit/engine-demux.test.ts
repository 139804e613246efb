import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDemuxer } from "../../src/engine/demux.js";
import { EngineError } from "../../src/engine/errors.js";

function frame(stream: number, payload: string | Buffer): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

function collect(): { out: Buffer[]; err: Buffer[]; text: () => { out: string; err: string } } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  return {
    out,
    err,
    text: () => ({ out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() }),
  };
}

describe("createDemuxer", () => {
  const wire = Buffer.concat([
    frame(1, "hello "),
    frame(2, "oops\n"),
    frame(1, "world\n"),
    frame(1, ""),
    frame(2, "x"),
  ]);

  it("splits whole frames into stdout and stderr", () => {
    const sink = collect();
    const demux = createDemuxer({ onStdout: (c) => sink.out.push(c), onStderr: (c) => sink.err.push(c) });
    demux.write(wire);
    demux.end();
    assert.deepEqual(sink.text(), { out: "hello world\n", err: "oops\nx" });
  });

  it("gives the same result for every way of splitting the bytes into chunks", () => {
    for (let size = 1; size <= wire.length; size++) {
      const sink = collect();
      const demux = createDemuxer({ onStdout: (c) => sink.out.push(c), onStderr: (c) => sink.err.push(c) });
      for (let offset = 0; offset < wire.length; offset += size)
        demux.write(wire.subarray(offset, offset + size));
      demux.end();
      assert.deepEqual(sink.text(), { out: "hello world\n", err: "oops\nx" }, `chunk size ${size}`);
    }
  });

  it("splits at every single position, including inside headers", () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const sink = collect();
      const demux = createDemuxer({ onStdout: (c) => sink.out.push(c), onStderr: (c) => sink.err.push(c) });
      demux.write(wire.subarray(0, cut));
      demux.write(wire.subarray(cut));
      demux.end();
      assert.deepEqual(sink.text(), { out: "hello world\n", err: "oops\nx" }, `cut at ${cut}`);
    }
  });

  it("hands on payload before the frame is complete (bounded memory)", () => {
    const big = frame(1, Buffer.alloc(1000, 97));
    const seen: number[] = [];
    const demux = createDemuxer({ onStdout: (c) => seen.push(c.length) });
    demux.write(big.subarray(0, 108));
    assert.deepEqual(seen, [100]);
    demux.write(big.subarray(108));
    demux.end();
    assert.deepEqual(seen, [100, 900]);
  });

  it("fails when the stream ends inside a frame", () => {
    const demux = createDemuxer({});
    demux.write(frame(1, "abcdef").subarray(0, 10));
    assert.throws(
      () => demux.end(),
      (e: unknown) => e instanceof EngineError && e.kind === "stream",
    );
    const headerOnly = createDemuxer({});
    headerOnly.write(Buffer.from([1, 0, 0]));
    assert.throws(
      () => headerOnly.end(),
      (e: unknown) => e instanceof EngineError && e.kind === "stream",
    );
  });

  it("reports the engine's own error stream (3) at the end", () => {
    const demux = createDemuxer({});
    demux.write(frame(3, "exec failed: no such file"));
    assert.throws(() => demux.end(), /exec failed: no such file/);
  });

  it("rejects unknown stream ids", () => {
    const demux = createDemuxer({});
    assert.throws(
      () => demux.write(frame(7, "x")),
      (e: unknown) => e instanceof EngineError && e.kind === "stream",
    );
  });
});
