import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  decodeAuthEntry,
  DockerConfigError,
  dockerConfigPath,
  findByHost,
  parseDockerConfig,
  readDockerConfig,
} from "../../src/auth/docker-config.js";
import { isDockerHub, sameRegistry, serverHost, serverKey } from "../../src/auth/server-name.js";

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

describe("serverHost", () => {
  const table: [string, string][] = [
    ["", "docker.io"],
    ["docker.io", "docker.io"],
    ["index.docker.io", "docker.io"],
    ["https://index.docker.io/v1/", "docker.io"],
    ["https://index.docker.io", "docker.io"],
    ["registry-1.docker.io", "docker.io"],
    ["http://127.0.0.1:5000", "127.0.0.1:5000"],
    ["https://127.0.0.1:5000/v2/", "127.0.0.1:5000"],
    ["Registry.Example.com:443", "registry.example.com:443"],
    ["123456789012.dkr.ecr.eu-west-1.amazonaws.com", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"],
    ["[::1]:5000", "[::1]:5000"],
  ];
  for (const [input, want] of table) {
    it(`${JSON.stringify(input)} → ${want}`, () => assert.equal(serverHost(input), want));
  }
  it("uses Docker Hub's legacy key for credentials", () => {
    assert.equal(serverKey("docker.io"), "https://index.docker.io/v1/");
    assert.equal(serverKey("https://127.0.0.1:5000"), "127.0.0.1:5000");
    assert.ok(isDockerHub("https://index.docker.io/v1/"));
    assert.ok(sameRegistry("https://index.docker.io", "docker.io"));
    assert.ok(!sameRegistry("127.0.0.1:5000", "127.0.0.1:5001"));
  });
});

describe("dockerConfigPath", () => {
  it("honours DOCKER_CONFIG, then HOME", () => {
    assert.equal(dockerConfigPath({ DOCKER_CONFIG: "/cfg", HOME: "/home/u" }), "/cfg/config.json");
    assert.equal(dockerConfigPath({ HOME: "/home/u" }), "/home/u/.docker/config.json");
    assert.equal(dockerConfigPath({ DOCKER_CONFIG: "", HOME: "/home/u" }), "/home/u/.docker/config.json");
  });
});

describe("parseDockerConfig", () => {
  it("reads auths, credsStore and credHelpers", () => {
    const c = parseDockerConfig(
      JSON.stringify({
        auths: {
          "https://index.docker.io/v1/": { auth: b64("hubuser:p:a:ss") },
          "127.0.0.1:5000": {},
          "ghcr.io": { identitytoken: "tok-123456" },
          bogus: "not an object",
        },
        credsStore: "desktop",
        credHelpers: { "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login", empty: "" },
        psFormat: "table",
      }),
      "/x/config.json",
    );
    assert.equal(c.path, "/x/config.json");
    assert.deepEqual(Object.keys(c.auths), ["https://index.docker.io/v1/", "127.0.0.1:5000", "ghcr.io"]);
    assert.equal(c.credsStore, "desktop");
    assert.deepEqual(c.credHelpers, { "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login" });
  });

  it("treats an empty file as an empty config", () => {
    assert.deepEqual(parseDockerConfig("  \n", "/x").auths, {});
  });

  it("never quotes the file in its error (it may hold credentials)", () => {
    const secret = "s3cr3t-in-broken-json";
    assert.throws(
      () => parseDockerConfig(`{"auths": {"x": {"auth": "${secret}"`, "/x/config.json"),
      (e: unknown) =>
        e instanceof DockerConfigError && !e.message.includes(secret) && e.message.includes("/x/config.json"),
    );
    assert.throws(() => parseDockerConfig("[]", "/x"), DockerConfigError);
  });
});

describe("decodeAuthEntry", () => {
  it("splits user:password at the first colon only", () => {
    assert.deepEqual(decodeAuthEntry({ auth: b64("u:pa:ss:word") }), {
      username: "u",
      password: "pa:ss:word",
    });
  });
  it("returns the identity token", () => {
    assert.deepEqual(decodeAuthEntry({ identitytoken: "tok-abcdef" }), { identitytoken: "tok-abcdef" });
  });
  it("accepts the legacy username/password fields", () => {
    assert.deepEqual(decodeAuthEntry({ username: "u", password: "p4ssword" }), {
      username: "u",
      password: "p4ssword",
    });
  });
  it("returns undefined for the empty entries credsStore logins leave", () => {
    assert.equal(decodeAuthEntry({}), undefined);
    assert.equal(decodeAuthEntry({ auth: b64("user:") }), undefined);
  });
  it("rejects an auth without a colon", () => {
    assert.throws(() => decodeAuthEntry({ auth: b64("nocolon") }), DockerConfigError);
  });
});

describe("findByHost", () => {
  const map = { "https://127.0.0.1:5000": 1, "https://index.docker.io/v1/": 2, "ghcr.io": 3 };
  it("matches the same host under any spelling", () => {
    assert.deepEqual(findByHost(map, "127.0.0.1:5000"), { key: "https://127.0.0.1:5000", value: 1 });
    assert.deepEqual(findByHost(map, "docker.io"), { key: "https://index.docker.io/v1/", value: 2 });
    assert.deepEqual(findByHost(map, "ghcr.io"), { key: "ghcr.io", value: 3 });
    assert.equal(findByHost(map, "127.0.0.1:5001"), undefined);
  });
});

describe("readDockerConfig", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-auth-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("returns undefined when there is no config", async () => {
    assert.equal(await readDockerConfig({ DOCKER_CONFIG: path.join(dir, "missing") }), undefined);
  });

  it("reads $DOCKER_CONFIG/config.json", async () => {
    const cfgDir = path.join(dir, "cfg");
    mkdirSync(cfgDir);
    writeFileSync(
      path.join(cfgDir, "config.json"),
      JSON.stringify({ auths: { "r.example": { auth: b64("a:bcdef") } } }),
    );
    const c = await readDockerConfig({ DOCKER_CONFIG: cfgDir });
    assert.equal(c?.path, path.join(cfgDir, "config.json"));
    assert.equal(c?.auths["r.example"]?.auth, b64("a:bcdef"));
  });
});
