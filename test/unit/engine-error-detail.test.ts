// An engine's error text goes into a build's output on one line: Podman sends Go's multi-error
// form, which printed a "1 error occurred:" line, a tab-indented cause and a lone ")" (seen with
// -cache-from against an unreachable registry on Podman 4.3).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { oneLineDetail } from "../../src/engine/http.js";

describe("oneLineDetail", () => {
  it("one cause in Go's multi-error form is that cause", () => {
    assert.equal(
      oneLineDetail(
        '1 error occurred:\n\t* getting repository tags: pinging container registry 127.0.0.1:1: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused\n\n',
      ),
      'getting repository tags: pinging container registry 127.0.0.1:1: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused',
    );
  });

  it("several causes are joined with semicolons", () => {
    assert.equal(oneLineDetail("2 errors occurred:\n\t* first\n\t* second\n\n"), "first; second");
  });

  it("other text keeps its words, its line breaks become spaces", () => {
    assert.equal(oneLineDetail("No such image: x:1"), "No such image: x:1");
    assert.equal(oneLineDetail("a\n  b\n"), "a b");
  });
});
