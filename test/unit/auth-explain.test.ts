// Registry failures explained: network failures are not blamed on credentials or names; auth
// advice (in the template's own syntax) is kept for real 401/403 answers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyRegistryFailure } from "../../src/auth/classify.js";
import { explainRegistryFailure, mismatchWarning, type RegistryFailure } from "../../src/auth/explain.js";
import { EngineError } from "../../src/engine/errors.js";

const failure = (message: string, extra: Partial<RegistryFailure> = {}): RegistryFailure => {
  const classified = classifyRegistryFailure(new EngineError("stream", message));
  return {
    action: "push",
    ref: "someuser/app:1",
    registry: "docker.io",
    repository: "someuser/app",
    resolved: { source: "template", server: "docker.io" },
    login: { option: "login", server: "" },
    failure: classified,
    attempts: 1,
    exhausted: false,
    ...extra,
  };
};

describe("explainRegistryFailure", () => {
  it("DNS failure: the registry could not be reached, no credentials were tried", () => {
    const text = explainRegistryFailure(
      failure(
        'push someuser/app:1: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.0.53:53: no such host',
      ),
    );
    assert.match(text, /the registry docker\.io could not be reached, so no credentials were tried/);
    assert.match(text, /no such host/);
    assert.doesNotMatch(text, /authenticated against|in the repository name|login_username/);
  });

  it("refused after every retry: names the host and the error, no auth advice", () => {
    const text = explainRegistryFailure(
      failure("push 127.0.0.1:1/app:1: dial tcp 127.0.0.1:1: connect: connection refused", {
        ref: "127.0.0.1:1/app:1",
        registry: "127.0.0.1:1",
        attempts: 5,
        exhausted: true,
        elapsedMs: 15_000,
      }),
    );
    assert.match(
      text,
      /^push of 127\.0\.0\.1:1\/app:1 failed after 5 attempts over 15\.0s: connection refused/,
    );
    assert.match(text, /the registry 127\.0\.0\.1:1 could not be reached, so no credentials were tried/);
    assert.doesNotMatch(text, /authenticated against|login_username/);
  });

  it("a real 401 keeps the auth advice, in the template's syntax", () => {
    const none = {
      resolved: { source: "none" as const, server: "r.example" },
      login: undefined,
      registry: "r.example",
    };
    const json = explainRegistryFailure(failure("push r:1: unauthorized: authentication required", none));
    const hcl = explainRegistryFailure(
      failure("push r:1: unauthorized: authentication required", { ...none, templateFormat: "hcl" }),
    );
    assert.match(json, /Fix: set "login": true with login_username and login_password for r\.example/);
    assert.match(hcl, /Fix: set login = true with login_username and login_password for r\.example/);
  });

  it("a denial with login_server unset: says it defaults to docker.io, advises setting it", () => {
    const text = explainRegistryFailure(
      failure("push r.example/app:1: denied: requested access to the resource is denied", {
        registry: "r.example",
        repository: "app",
        templateFormat: "hcl",
      }),
    );
    assert.match(
      text,
      /login_server is not set, so the login credentials are for docker\.io \(Docker Hub\), not r\.example/,
    );
    assert.match(text, /Fix: set login_server = "r\.example"/);
    assert.doesNotMatch(text, /[Rr]emove login_server/);
  });
});

describe("mismatchWarning", () => {
  it("login_server set to another registry: set it to the repository's, or move the repository", () => {
    const text = mismatchWarning(
      { option: "login", server: "other.example" },
      "r.example/app:1",
      "r.example",
      "app",
    );
    assert.match(text, /login_server is other\.example/);
    assert.match(
      text,
      /Fix: set "login_server": "r\.example" \(the repository's registry\), or make the repository other\.example\/app/,
    );
  });
});
