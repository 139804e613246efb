import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { EngineError } from "../../src/engine/errors.js";
import {
  consumeProgress,
  consumePushProgress,
  pushResultFromEvent,
  readProgress,
} from "../../src/engine/progress.js";
import type { ProgressEvent } from "../../src/engine/types.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

/** A stream delivering `text` in chunks of `size` bytes, to split lines and UTF-8 sequences. */
function chunked(text: string, size: number): Readable {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size)
    chunks.push(bytes.subarray(offset, offset + size));
  return Readable.from(chunks);
}

const isStreamError = (pattern: RegExp) => (e: unknown) =>
  e instanceof EngineError && e.kind === "stream" && pattern.test(e.message);

describe("readProgress", () => {
  const text =
    '{"status":"Pulling from library/x","id":"1"}\r\n' +
    '{"status":"Downloading","progressDetail":{"current":5,"total":10},"id":"é"}\n\n' +
    '{"status":"Done"}';

  it("decodes every line however the bytes are chunked (CRLF, blank lines, no final newline)", async () => {
    for (const size of [1, 2, 3, 7, 1000]) {
      const events: ProgressEvent[] = [];
      for await (const event of readProgress(chunked(text, size), "pull x")) events.push(event);
      assert.deepEqual(
        events.map((e) => e.status),
        ["Pulling from library/x", "Downloading", "Done"],
      );
      assert.equal(events[1]?.id, "é");
      assert.equal(events[1]?.progressDetail?.total, 10);
    }
  });

  it("throws on an in-band error line, after forwarding the events before it", async () => {
    const seen: string[] = [];
    const stream = chunked(
      '{"status":"Preparing"}\n{"errorDetail":{"message":"dial tcp 127.0.0.1:1: connection refused"},"error":"dial tcp 127.0.0.1:1: connection refused"}\n',
      5,
    );
    await assert.rejects(
      consumeProgress(stream, "push 127.0.0.1:1/app:1", (e) => seen.push(e.status ?? "")),
      isStreamError(/^push 127\.0\.0\.1:1\/app:1: dial tcp 127\.0\.0\.1:1: connection refused$/),
    );
    assert.deepEqual(seen, ["Preparing"]);
  });

  it("treats an error without errorDetail, or errorDetail alone, as failures", async () => {
    await assert.rejects(
      consumeProgress(chunked('{"error":"boom"}\n', 4), "load"),
      isStreamError(/load: boom/),
    );
    await assert.rejects(
      consumeProgress(chunked('{"errorDetail":{"message":"bad"}}', 4), "load"),
      isStreamError(/bad/),
    );
  });

  it("rejects lines that are not JSON objects", async () => {
    await assert.rejects(
      consumeProgress(chunked("<html>proxy error</html>\n", 100), "pull"),
      isStreamError(/not JSON/),
    );
    await assert.rejects(consumeProgress(chunked("42\n", 100), "pull"), isStreamError(/unexpected/));
  });

  it("resolves with the last event", async () => {
    const last = await consumeProgress(chunked('{"status":"a"}\n{"status":"sha256:1"}\n', 3), "import");
    assert.equal(last?.status, "sha256:1");
  });
});

describe("push digest", () => {
  it("comes from aux.Digest (Docker)", () => {
    assert.deepEqual(pushResultFromEvent({ aux: { Tag: "1", Digest: DIGEST, Size: 528 } }), {
      digest: DIGEST,
      size: 528,
    });
  });

  it("comes from the status line when there is no aux (Podman)", () => {
    assert.deepEqual(pushResultFromEvent({ status: `1: digest: ${DIGEST} size: 1234` }), {
      digest: DIGEST,
      size: 1234,
    });
    assert.equal(pushResultFromEvent({ status: "Pushed", id: "abc" }), undefined);
    assert.equal(pushResultFromEvent({ status: "1: digest: sha256:short size: 1" }), undefined);
  });

  it("is read from a whole push stream", async () => {
    const stream = chunked(
      [
        '{"status":"The push refers to repository [127.0.0.1:5000/app]"}',
        '{"status":"Pushed","progressDetail":{},"id":"5f70bf18a086"}',
        `{"status":"1: digest: ${DIGEST} size: 528"}`,
        `{"progressDetail":{},"aux":{"Tag":"1","Digest":"${DIGEST}","Size":528}}`,
      ].join("\n"),
      9,
    );
    assert.deepEqual(await consumePushProgress(stream, "push app:1"), { digest: DIGEST, size: 528 });
  });

  it("a push stream that ends without a digest is a failure", async () => {
    const stream = chunked(
      '{"status":"The push refers to repository [x]"}\n{"status":"Preparing","id":"1"}\n',
      10,
    );
    await assert.rejects(
      consumePushProgress(stream, "push x:1"),
      isStreamError(/without the registry confirming a digest/),
    );
  });

  it("an error line wins over an earlier digest", async () => {
    const stream = chunked(`{"aux":{"Digest":"${DIGEST}"}}\n{"error":"late failure"}\n`, 10);
    await assert.rejects(consumePushProgress(stream, "push x:1"), isStreamError(/late failure/));
  });
});
