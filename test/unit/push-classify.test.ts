import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyRegistryFailure, type FailureCategory } from "../../src/auth/classify.js";
import { EngineError } from "../../src/engine/errors.js";

const stream = (m: string): EngineError => new EngineError("stream", `push 127.0.0.1:5000/app:1: ${m}`);

// Messages as dockerd 20.10 and distribution 2.8 word them (observed in the integration tests and
// in the reliability bar's transcripts).
const table: [string, Error, FailureCategory, boolean, string?][] = [
  ["connection refused", stream('Get "https://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused'), "unreachable", true, "connection refused"],
  ["connection reset", stream("Put \"http://r/v2/a/blobs/uploads/x\": read tcp 127.0.0.1:1->127.0.0.1:5000: read: connection reset by peer"), "transient", true, "connection reset"],
  ["closed connection (containerd store)", stream('failed to do request: Put "http://127.0.0.1:5000/v2/app/blobs/uploads/x": write tcp 127.0.0.1:40112->127.0.0.1:5000: use of closed network connection'), "transient", true, "connection closed"],
  ["EOF", stream('Patch "http://r/v2/a/blobs/uploads/x": EOF'), "transient", true, "connection closed early (EOF)"],
  ["unexpected EOF", stream("unexpected EOF"), "transient", true],
  ["dial i/o timeout", stream("dial tcp 10.0.0.1:443: i/o timeout"), "unreachable", true, "connection timed out"],
  ["TLS handshake timeout", stream('Get "https://r/v2/": net/http: TLS handshake timeout'), "unreachable", true, "TLS handshake timeout"],
  ["no route", stream("dial tcp 10.9.9.9:443: connect: no route to host"), "unreachable", true, "network unreachable"],
  ["DNS hiccup", stream("dial tcp: lookup r on 127.0.0.53:53: server misbehaving"), "unreachable", true, "DNS temporarily failing"],
  ["response timeout", stream("net/http: request canceled (Client.Timeout exceeded while awaiting headers)"), "transient", true, "timeout"],
  ["received 502", stream("received unexpected HTTP status: 502 Bad Gateway"), "transient", true, "HTTP 502 Bad Gateway"],
  ["received 503", stream("received unexpected HTTP status: 503 Service Unavailable"), "transient", true, "HTTP 503 Service Unavailable"],
  ["500 text", stream("error parsing HTTP 500 Internal Server Error response body"), "transient", true, "HTTP 500"],
  ["429", stream("toomanyrequests: You have reached your pull rate limit"), "transient", true],
  ["daemon 5xx", new EngineError("server", "push: engine returned 500", 500), "transient", true],
  ["no basic auth", stream("no basic auth credentials"), "unauthorized", false, "no basic auth credentials"],
  ["unauthorized", stream("unauthorized: authentication required"), "unauthorized", false],
  ["401 in body", stream("failed with status: 401 Unauthorized"), "unauthorized", false],
  ["denied", stream("denied: requested access to the resource is denied"), "denied", false],
  ["403", stream("unknown: 403 Forbidden"), "denied", false],
  ["name unknown", stream("name unknown: The repository with name 'app' does not exist in the registry with id '123456789012'"), "name-unknown", false],
  ["manifest unknown", stream("manifest unknown: manifest unknown"), "manifest-unknown", false],
  ["local missing", stream("An image does not exist locally with the tag: sha256"), "local-missing", false],
  ["no such image", new EngineError("not-found", "push x: No such image: x:1", 404), "local-missing", false],
  ["x509", stream('Get "https://r/v2/": x509: certificate signed by unknown authority'), "tls", false],
  ["http to https", stream('Get "https://r/v2/": http: server gave HTTP response to HTTPS client'), "tls", false],
  ["DNS", stream("dial tcp: lookup nosuch.example on 127.0.0.53:53: no such host"), "host-unknown", false],
  ["cancelled", new EngineError("aborted", "push cancelled"), "cancelled", false],
  ["other", stream("something nobody expected"), "unknown", false],
]; // prettier-ignore

describe("classifyRegistryFailure", () => {
  for (const [name, error, category, retry, reason] of table) {
    it(`${name} → ${category}${retry ? " (retry)" : ""}`, () => {
      const c = classifyRegistryFailure(error);
      assert.equal(c.category, category);
      assert.equal(c.retry, retry);
      if (reason !== undefined) assert.equal(c.reason, reason);
      assert.equal(c.message, error.message);
    });
  }
  it("a 401 wins over a transient-looking word in the same message", () => {
    assert.equal(classifyRegistryFailure(stream("unauthorized: token timeout")).category, "unauthorized");
  });
  it("does not mistake hex digests for status codes", () => {
    assert.equal(classifyRegistryFailure(stream("blob sha256:a401b403c unexpected")).category, "unknown");
  });
});
