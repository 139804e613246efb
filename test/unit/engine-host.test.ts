import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EngineConfigError } from "../../src/engine/errors.js";
import { resolveEngineHost } from "../../src/engine/endpoint.js";

describe("resolveEngineHost", () => {
  it("defaults to the local socket", () => {
    assert.deepEqual(resolveEngineHost({}), {
      kind: "unix",
      socketPath: "/var/run/docker.sock",
      description: "unix:///var/run/docker.sock",
    });
    assert.equal(resolveEngineHost({ DOCKER_HOST: "" }).description, "unix:///var/run/docker.sock");
  });

  it("reads unix:// sockets", () => {
    const host = resolveEngineHost({ DOCKER_HOST: "unix:///run/user/1000/podman/podman.sock" });
    assert.equal(host.kind, "unix");
    assert.equal(host.kind === "unix" && host.socketPath, "/run/user/1000/podman/podman.sock");
    assert.equal(host.description, "unix:///run/user/1000/podman/podman.sock");
    assert.equal(host.origin, "DOCKER_HOST");
  });

  const cases: [string, Record<string, string>, object][] = [
    [
      "tcp://10.0.0.5:2375",
      {},
      { protocol: "http:", hostname: "10.0.0.5", port: 2375, description: "tcp://10.0.0.5:2375" },
    ],
    ["tcp://docker.example", {}, { protocol: "http:", port: 2375 }],
    ["tcp://host:80", {}, { protocol: "http:", port: 80 }],
    ["tcp://:2375", {}, { hostname: "localhost", port: 2375 }],
    ["tcp://[::1]:2375", {}, { hostname: "::1", port: 2375, description: "tcp://[::1]:2375" }],
    ["tcp://host:2375/proxy/", {}, { basePath: "/proxy", description: "tcp://host:2375/proxy" }],
    ["http://host:8080", {}, { protocol: "http:", port: 8080, description: "http://host:8080" }],
    ["https://host", {}, { protocol: "https:", port: 2376, description: "https://host:2376" }],
    [
      "tcp://host",
      { DOCKER_TLS_VERIFY: "1" },
      { protocol: "https:", port: 2376, description: "tcp://host:2376 (TLS)" },
    ],
  ];
  for (const [value, extra, expected] of cases) {
    it(`parses DOCKER_HOST=${value} ${JSON.stringify(extra)}`, () => {
      const host = resolveEngineHost({ DOCKER_HOST: value, ...extra });
      assert.equal(host.kind, "tcp");
      for (const [key, want] of Object.entries(expected)) {
        assert.deepEqual((host as unknown as Record<string, unknown>)[key], want, key);
      }
    });
  }

  it("uses ~/.docker certificates and verifies when DOCKER_TLS_VERIFY is set", () => {
    const host = resolveEngineHost({ DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "1" });
    const dir = join(homedir(), ".docker");
    assert.deepEqual(host.kind === "tcp" && host.tls, {
      ca: join(dir, "ca.pem"),
      cert: join(dir, "cert.pem"),
      key: join(dir, "key.pem"),
      verify: true,
    });
  });

  it("uses DOCKER_CERT_PATH; without DOCKER_TLS_VERIFY the server is not verified (docker CLI rule)", () => {
    const host = resolveEngineHost({ DOCKER_HOST: "tcp://h", DOCKER_CERT_PATH: "/certs" });
    assert.equal(host.kind === "tcp" && host.protocol, "https:");
    assert.deepEqual(host.kind === "tcp" && host.tls, {
      ca: "/certs/ca.pem",
      cert: "/certs/cert.pem",
      key: "/certs/key.pem",
      verify: false,
    });
  });

  it("plain tcp has no TLS", () => {
    const host = resolveEngineHost({ DOCKER_HOST: "tcp://h:2375" });
    assert.equal(host.kind === "tcp" && host.tls, undefined);
  });

  const sshCases: [string, object][] = [
    ["ssh://build.example", { hostname: "build.example", description: "ssh://build.example" }],
    [
      "ssh://me@build:2222",
      { hostname: "build", user: "me", port: 2222, description: "ssh://me@build:2222" },
    ],
    ["ssh://me@[::1]:22", { hostname: "::1", user: "me", port: 22 }],
    [
      "ssh://core@host/run/podman/podman.sock",
      { hostname: "host", user: "core", socketPath: "/run/podman/podman.sock" },
    ],
  ];
  for (const [value, expected] of sshCases) {
    it(`parses DOCKER_HOST=${value}`, () => {
      const host = resolveEngineHost({ DOCKER_HOST: value });
      assert.equal(host.kind, "ssh");
      for (const [key, want] of Object.entries(expected)) {
        assert.deepEqual((host as unknown as Record<string, unknown>)[key], want, key);
      }
      if (!("port" in expected)) assert.equal(host.kind === "ssh" && host.port, undefined);
    });
  }

  const unsupported: [string, RegExp][] = [
    [
      "npipe:////./pipe/docker_engine",
      /Windows named pipe.*Did you mean DOCKER_HOST=unix:\/\/\/var\/run\/docker\.sock\?/,
    ],
    ["fd://", /systemd.*Did you mean DOCKER_HOST=unix:\/\/\/var\/run\/docker\.sock\?/],
    [
      "unx:///var/run/docker.sock",
      /unx:\/\/ is not one kiln knows.*Did you mean DOCKER_HOST=unix:\/\/\/var\/run\/docker\.sock\?/,
    ],
    ["tcp:/10.0.0.5:2375", /no scheme.*Did you mean DOCKER_HOST=tcp:\/\/10\.0\.0\.5:2375\?/],
    ["unix:/run/docker.sock", /Did you mean DOCKER_HOST=unix:\/\/\/run\/docker\.sock\?/],
    ["htps://host:2376", /Did you mean DOCKER_HOST=https:\/\/host:2376\?/],
    ["host:2375", /Did you mean DOCKER_HOST=tcp:\/\/host:2375\?/],
    ["/var/run/docker.sock", /Did you mean DOCKER_HOST=unix:\/\/\/var\/run\/docker\.sock\?/],
    ["gopher://x", /gopher:\/\/ is not one kiln knows/],
  ];
  for (const [bad, message] of unsupported) {
    it(`refuses DOCKER_HOST=${bad} naming the value, the supported schemes and a guess`, () => {
      assert.throws(
        () => resolveEngineHost({ DOCKER_HOST: bad }),
        (e: unknown) =>
          e instanceof EngineConfigError &&
          e.source === "DOCKER_HOST" &&
          e.message.startsWith(`DOCKER_HOST=${bad} is not supported.`) &&
          e.message.includes("Supported: unix://, tcp://, http://, https:// and ssh://.") &&
          message.test(e.message),
      );
    });
  }

  for (const bad of [
    "tcp://",
    "tcp://h:99999",
    "tcp://u:p@h:1",
    "ssh://",
    "ssh://me:secret@h",
    "ssh://h?x=1",
  ]) {
    it(`rejects DOCKER_HOST=${bad} with an error naming it`, () => {
      assert.throws(
        () => resolveEngineHost({ DOCKER_HOST: bad }),
        (e: unknown) => e instanceof EngineConfigError && e.message.includes(`DOCKER_HOST=${bad} is invalid`),
      );
    });
  }
});
