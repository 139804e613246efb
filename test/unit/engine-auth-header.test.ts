import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeRegistryAuth, registryAuthHeaders } from "../../src/engine/auth-header.js";

const decode = (value: string): unknown =>
  JSON.parse(Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8"));

describe("encodeRegistryAuth", () => {
  it("encodes no credentials as {} (still sent: Docker 20.10 requires the header on push)", () => {
    assert.equal(encodeRegistryAuth(undefined), "e30=");
    assert.equal(encodeRegistryAuth({}), "e30=");
    assert.deepEqual(registryAuthHeaders(undefined), { "X-Registry-Auth": "e30=" });
  });

  it("keeps = padding for every length (Podman rejects unpadded values)", () => {
    for (let n = 0; n < 12; n++) {
      const value = encodeRegistryAuth({ username: "u".repeat(n), password: "p" });
      assert.equal(value.length % 4, 0, value);
      assert.match(value, /^[A-Za-z0-9_-]*={0,2}$/);
      assert.deepEqual(decode(value), { username: "u".repeat(n), password: "p" });
    }
  });

  it("is URL-safe: no + or / even when standard base64 would have them", () => {
    // "?>>" and "???" encode to "Pz4+" and "Pz8/" in standard base64.
    const value = encodeRegistryAuth({ password: "?>>???~~~" });
    assert.doesNotMatch(value, /[+/]/);
    assert.match(value, /[-_]/);
    assert.deepEqual(decode(value), { password: "?>>???~~~" });
  });

  it("sends only the fields that are set, including identity tokens and the server", () => {
    const auth = { identitytoken: "tok", serveraddress: "https://index.docker.io/v1/" };
    assert.deepEqual(decode(encodeRegistryAuth(auth)), auth);
  });
});
