import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EngineError } from "../../src/engine/errors.js";
import { DOCKER_HUB_AUTH_KEY, ImageReference, isImageId } from "../../src/engine/reference.js";

const HEX = "0123456789abcdef".repeat(4);
const DIGEST = `sha256:${HEX}`;

interface Row {
  input: string;
  registry: string;
  path: string;
  tag?: string;
  digest?: string;
  familiar: string;
  canonical: string;
  authKey?: string;
}

const valid: Row[] = [
  {
    input: "ubuntu",
    registry: "docker.io",
    path: "library/ubuntu",
    familiar: "ubuntu",
    canonical: "docker.io/library/ubuntu",
  },
  {
    input: "ubuntu:22.04",
    registry: "docker.io",
    path: "library/ubuntu",
    tag: "22.04",
    familiar: "ubuntu:22.04",
    canonical: "docker.io/library/ubuntu:22.04",
  },
  {
    input: "library/ubuntu",
    registry: "docker.io",
    path: "library/ubuntu",
    familiar: "ubuntu",
    canonical: "docker.io/library/ubuntu",
  },
  {
    input: "docker.io/ubuntu",
    registry: "docker.io",
    path: "library/ubuntu",
    familiar: "ubuntu",
    canonical: "docker.io/library/ubuntu",
  },
  {
    input: "index.docker.io/library/ubuntu:1",
    registry: "docker.io",
    path: "library/ubuntu",
    tag: "1",
    familiar: "ubuntu:1",
    canonical: "docker.io/library/ubuntu:1",
  },
  {
    input: "team/app",
    registry: "docker.io",
    path: "team/app",
    familiar: "team/app",
    canonical: "docker.io/team/app",
  },
  {
    input: "docker.io/library/a/b",
    registry: "docker.io",
    path: "library/a/b",
    familiar: "library/a/b",
    canonical: "docker.io/library/a/b",
  },
  {
    input: "localhost/app",
    registry: "localhost",
    path: "app",
    familiar: "localhost/app",
    canonical: "localhost/app",
    authKey: "localhost",
  },
  {
    input: "localhost:5000/app:1",
    registry: "localhost:5000",
    path: "app",
    tag: "1",
    familiar: "localhost:5000/app:1",
    canonical: "localhost:5000/app:1",
    authKey: "localhost:5000",
  },
  {
    input: "127.0.0.1:5000/team/app",
    registry: "127.0.0.1:5000",
    path: "team/app",
    familiar: "127.0.0.1:5000/team/app",
    canonical: "127.0.0.1:5000/team/app",
  },
  {
    input: "ghcr.io/o/r/deep/path:v1.2.3-rc_1",
    registry: "ghcr.io",
    path: "o/r/deep/path",
    tag: "v1.2.3-rc_1",
    familiar: "ghcr.io/o/r/deep/path:v1.2.3-rc_1",
    canonical: "ghcr.io/o/r/deep/path:v1.2.3-rc_1",
    authKey: "ghcr.io",
  },
  {
    input: "[::1]:5000/app:2",
    registry: "[::1]:5000",
    path: "app",
    tag: "2",
    familiar: "[::1]:5000/app:2",
    canonical: "[::1]:5000/app:2",
  },
  {
    input: "Registry.Example.com/app",
    registry: "Registry.Example.com",
    path: "app",
    familiar: "Registry.Example.com/app",
    canonical: "Registry.Example.com/app",
  },
  {
    input: "team/a-b__c_d.e--f",
    registry: "docker.io",
    path: "team/a-b__c_d.e--f",
    familiar: "team/a-b__c_d.e--f",
    canonical: "docker.io/team/a-b__c_d.e--f",
  },
  { input: "a.b/c", registry: "a.b", path: "c", familiar: "a.b/c", canonical: "a.b/c" },
  {
    input: "localhost",
    registry: "docker.io",
    path: "library/localhost",
    familiar: "localhost",
    canonical: "docker.io/library/localhost",
  },
  {
    input: "localhost:5000",
    registry: "docker.io",
    path: "library/localhost",
    tag: "5000",
    familiar: "localhost:5000",
    canonical: "docker.io/library/localhost:5000",
  },
  {
    input: `ubuntu@${DIGEST}`,
    registry: "docker.io",
    path: "library/ubuntu",
    digest: DIGEST,
    familiar: `ubuntu@${DIGEST}`,
    canonical: `docker.io/library/ubuntu@${DIGEST}`,
  },
  {
    input: `r.io:443/app:1@${DIGEST}`,
    registry: "r.io:443",
    path: "app",
    tag: "1",
    digest: DIGEST,
    familiar: `r.io:443/app:1@${DIGEST}`,
    canonical: `r.io:443/app:1@${DIGEST}`,
  },
  {
    input: `app:${HEX}`,
    registry: "docker.io",
    path: "library/app",
    tag: HEX,
    familiar: `app:${HEX}`,
    canonical: `docker.io/library/app:${HEX}`,
  },
];

const invalid: [string, RegExp][] = [
  ["", /empty/],
  ["Ubuntu", /lowercase/],
  ["team/App:1", /lowercase/],
  ["localhost:5000/App", /lowercase/],
  [DIGEST, /image ID/],
  [HEX, /image ID/],
  ["sha256:abc", /image ID/],
  ["app:", /not a valid tag/],
  ["app:-x", /not a valid tag/],
  [`app:${"t".repeat(129)}`, /not a valid tag/],
  ["app@sha256:123", /not a digest/],
  [`app@sha256:${HEX.toUpperCase()}`, /64 lowercase/],
  ["app@", /not a digest/],
  ["/app", /path component/],
  ["app/", /path component/],
  ["a//b", /path component/],
  ["app-", /path component/],
  ["_app", /path component/],
  ["a___b", /path component/],
  ["host:5000/", /empty/],
  ["-bad.host/app", /registry host/],
  ["app name", /path component/],
  [`${"a".repeat(250)}/b/c`, /longer than 255/],
];

describe("ImageReference.parse", () => {
  for (const row of valid) {
    it(`parses ${row.input}`, () => {
      const ref = ImageReference.parse(row.input);
      assert.equal(ref.registry, row.registry);
      assert.equal(ref.path, row.path);
      assert.equal(ref.tag, row.tag);
      assert.equal(ref.digest, row.digest);
      assert.equal(ref.toString(), row.familiar);
      assert.equal(ref.toCanonicalString(), row.canonical);
      assert.equal(ref.name, `${row.registry}/${row.path}`);
      assert.equal(
        ref.authKey,
        row.authKey ?? (row.registry === "docker.io" ? DOCKER_HUB_AUTH_KEY : row.registry),
      );
      // Round trip: both printed forms parse back to the same reference.
      assert.ok(ImageReference.parse(ref.toString()).equals(ref));
      assert.ok(ImageReference.parse(ref.toCanonicalString()).equals(ref));
    });
  }

  for (const [input, reason] of invalid) {
    it(`rejects ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
      assert.throws(
        () => ImageReference.parse(input),
        (e: unknown) => e instanceof EngineError && e.kind === "bad-request" && reason.test(e.message),
      );
      assert.equal(ImageReference.tryParse(input), undefined);
    });
  }

  it("defaults the tag only when asked", () => {
    const ref = ImageReference.parse("ubuntu");
    assert.equal(ref.tag, undefined);
    assert.equal(ref.tagOrLatest, "latest");
    assert.equal(ImageReference.parse("ubuntu:22.04").tagOrLatest, "22.04");
  });

  it("derives new references", () => {
    const ref = ImageReference.parse("localhost:5000/app:1");
    assert.equal(ref.withTag("2").toString(), "localhost:5000/app:2");
    assert.equal(ref.withDigest(DIGEST).toString(), `localhost:5000/app:1@${DIGEST}`);
    assert.equal(ref.repository.toString(), "localhost:5000/app");
    assert.throws(() => ref.withTag("bad tag"), EngineError);
  });
});

describe("isImageId", () => {
  for (const [value, expected] of [
    [DIGEST, true],
    [HEX, true],
    ["sha256:abc", false],
    [`sha256:${HEX}0`, false],
    ["ubuntu", false],
    [`sha256:${HEX.toUpperCase()}`, false],
  ] as const) {
    it(`${value.slice(0, 20)}… → ${expected}`, () => assert.equal(isImageId(value), expected));
  }
});
