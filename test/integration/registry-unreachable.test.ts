// A push that fails on the network is not an authentication problem (issue 18.2): with the registry
// unreachable, kiln says which registry could not be reached and why, and that no credentials were
// tried; the auth advice is kept for real 401/403 answers. Real engine, real `kiln build`; the
// registries are a port nothing listens on and a name that never resolves (.invalid, RFC 2606).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { build, BUSYBOX, describeRun, removeProduced, trackImage } from "./support/build.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

function pushTemplate(repository: string, loginServer: string): object {
  return {
    builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
    "post-processors": [
      [
        { type: "docker-tag", repository, tags: ["1"] },
        {
          type: "docker-push",
          login: true,
          login_server: loginServer,
          login_username: "someone",
          login_password: "unreachable-pass-1",
        },
      ],
    ],
  };
}

const NOT_AUTH =
  /authenticated against|check login_username|in the repository name|refuses anonymous|rejected/;

describe("push to an unreachable registry", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after unreachable-registry tests" });
  });

  it("connection refused: retried, then 'could not be reached', no credentials tried", async (t) => {
    trackImage("127.0.0.1:1/kiln-it/app:1");
    const r = await build(t, pushTemplate("127.0.0.1:1/kiln-it/app", "127.0.0.1:1"), { timeoutMs: 120_000 });
    assert.equal(r.code, 1, describeRun(r));
    const failure = /--> docker: Post-processor failed: (.*)/.exec(r.stdout)?.[1] ?? "";
    assert.match(failure, /the registry 127\.0\.0\.1:1 could not be reached/, failure);
    assert.match(failure, /connection refused/);
    assert.match(failure, /no credentials were tried/);
    assert.doesNotMatch(failure, NOT_AUTH);
    assert.ok(!r.output.includes("unreachable-pass-1"));
  });

  it("a name that does not resolve: at once, 'could not be reached', no credentials tried", async (t) => {
    trackImage("registry.invalid/kiln-it/app:1");
    const r = await build(t, pushTemplate("registry.invalid/kiln-it/app", "registry.invalid"));
    assert.equal(r.code, 1, describeRun(r));
    const failure = /--> docker: Post-processor failed: (.*)/.exec(r.stdout)?.[1] ?? "";
    assert.match(failure, /the registry registry\.invalid could not be reached/, failure);
    assert.match(failure, /no such host/);
    assert.match(failure, /no credentials were tried/);
    assert.doesNotMatch(failure, NOT_AUTH);
    assert.doesNotMatch(r.stdout, /attempt 2\/5/, "a name that does not resolve is not retried");
  });
});
