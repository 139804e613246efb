// Docker contexts, read as the docker CLI reads them. The fixtures are made by the real docker CLI
// (`docker context create` with a private DOCKER_CONFIG; it needs no daemon), so the file layout
// kiln reads is the CLI's own, not our idea of it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveEngineHost } from "../../src/engine/endpoint.js";
import { EngineConfigError } from "../../src/engine/errors.js";
import type { EngineHost } from "../../src/engine/host.js";

let config: string;
let certs: string;

function docker(...args: string[]): string {
  return execFileSync("docker", args, {
    env: { PATH: process.env.PATH, HOME: config, DOCKER_CONFIG: config },
    encoding: "utf8",
  });
}

before(() => {
  config = mkdtempSync(join(tmpdir(), "kiln-contexts-"));
  certs = mkdtempSync(join(tmpdir(), "kiln-context-certs-"));
  // The CLI parses the PEM files it copies, so they must be real (a throwaway self-signed pair).
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=kiln-test",
    "-keyout", join(certs, "key.pem"), "-out", join(certs, "cert.pem"),
  ], { stdio: "ignore" }); // prettier-ignore
  copyFileSync(join(certs, "cert.pem"), join(certs, "ca.pem"));
  docker("context", "create", "plain", "--docker", "host=tcp://10.1.2.3:2375");
  docker(
    "context",
    "create",
    "secure",
    "--docker",
    `host=tcp://build.example:2376,ca=${certs}/ca.pem,cert=${certs}/cert.pem,key=${certs}/key.pem`,
  );
  docker("context", "create", "ca-only", "--docker", `host=tcp://build.example:2376,ca=${certs}/ca.pem`);
  docker("context", "create", "insecure", "--docker", "host=tcp://build.example:2376,skip-tls-verify=true");
  docker("context", "create", "remote", "--docker", "host=ssh://builder@build.example:2222");
  docker("context", "create", "socket", "--docker", "host=unix:///run/user/1000/docker.sock");
});

after(() => {
  rmSync(config, { recursive: true, force: true });
  rmSync(certs, { recursive: true, force: true });
});

const env = (extra: Record<string, string>): Record<string, string> => ({ DOCKER_CONFIG: config, ...extra });
const tlsDir = (): string => join(config, "contexts", "tls");

function field(host: EngineHost, key: string): unknown {
  return (host as unknown as Record<string, unknown>)[key];
}

describe("docker contexts", () => {
  it("DOCKER_CONTEXT selects a context's tcp endpoint, plain HTTP without TLS material", () => {
    const host = resolveEngineHost(env({ DOCKER_CONTEXT: "plain" }));
    assert.equal(host.kind, "tcp");
    assert.equal(host.description, "tcp://10.1.2.3:2375");
    assert.equal(field(host, "protocol"), "http:");
    assert.equal(field(host, "tls"), undefined);
    assert.equal(host.origin, 'docker context "plain"');
  });

  it("a context's TLS material makes the endpoint https, verified with its CA", () => {
    const host = resolveEngineHost(env({ DOCKER_CONTEXT: "secure" }));
    assert.equal(field(host, "protocol"), "https:");
    const tls = field(host, "tls") as { ca: string; cert: string; key: string; verify: boolean };
    assert.equal(tls.verify, true);
    assert.ok(tls.ca.startsWith(tlsDir()) && tls.ca.endsWith("/docker/ca.pem"), tls.ca);
    assert.ok(tls.cert.endsWith("/docker/cert.pem") && tls.key.endsWith("/docker/key.pem"));
  });

  it("a CA alone verifies the server without a client certificate; skip-tls-verify does not verify", () => {
    const caOnly = field(resolveEngineHost(env({ DOCKER_CONTEXT: "ca-only" })), "tls") as { verify: boolean };
    assert.equal(caOnly.verify, true);
    const insecure = resolveEngineHost(env({ DOCKER_CONTEXT: "insecure" }));
    assert.equal(field(insecure, "protocol"), "https:");
    assert.equal((field(insecure, "tls") as { verify: boolean }).verify, false);
  });

  it("an ssh:// context uses the ssh transport", () => {
    const host = resolveEngineHost(env({ DOCKER_CONTEXT: "remote" }));
    assert.equal(host.kind, "ssh");
    assert.equal(field(host, "user"), "builder");
    assert.equal(field(host, "port"), 2222);
    assert.equal(field(host, "hostname"), "build.example");
  });

  it("the config's currentContext is used when DOCKER_CONTEXT is unset, as `docker context use` sets it", () => {
    docker("context", "use", "socket");
    try {
      const host = resolveEngineHost(env({}));
      assert.equal(host.description, "unix:///run/user/1000/docker.sock");
      assert.equal(resolveEngineHost(env({ DOCKER_CONTEXT: "plain" })).description, "tcp://10.1.2.3:2375");
    } finally {
      docker("context", "use", "default");
    }
    assert.equal(resolveEngineHost(env({})).description, "unix:///var/run/docker.sock");
  });

  it("DOCKER_HOST wins over DOCKER_CONTEXT and currentContext (the CLI's precedence)", () => {
    const host = resolveEngineHost(env({ DOCKER_CONTEXT: "plain", DOCKER_HOST: "unix:///tmp/x.sock" }));
    assert.equal(host.description, "unix:///tmp/x.sock");
    assert.equal(host.origin, "DOCKER_HOST");
  });

  it("the default context is the default socket, and DOCKER_TLS_VERIFY does not apply to contexts", () => {
    assert.deepEqual(resolveEngineHost(env({ DOCKER_CONTEXT: "default" })), {
      kind: "unix",
      socketPath: "/var/run/docker.sock",
      description: "unix:///var/run/docker.sock",
    });
    const host = resolveEngineHost(env({ DOCKER_CONTEXT: "plain", DOCKER_TLS_VERIFY: "1" }));
    assert.equal(field(host, "protocol"), "http:");
  });

  it("an unknown context is invalid input: names it, lists the known ones, guesses", () => {
    assert.throws(
      () => resolveEngineHost(env({ DOCKER_CONTEXT: "secur" })),
      (e: unknown) =>
        e instanceof EngineConfigError &&
        e.source === "DOCKER_CONTEXT" &&
        e.message.includes('the docker context "secur" (from DOCKER_CONTEXT) does not exist') &&
        e.message.includes("Known contexts: default, ca-only, insecure, plain, remote, secure, socket.") &&
        e.message.includes('Did you mean "secure"?'),
    );
  });

  it("a config.json that is not JSON is reported, naming the file", () => {
    const broken = mkdtempSync(join(tmpdir(), "kiln-broken-config-"));
    try {
      writeFileSync(join(broken, "config.json"), "{ not json");
      assert.throws(
        () => resolveEngineHost({ DOCKER_CONFIG: broken }),
        (e: unknown) => e instanceof EngineConfigError && e.message.includes(join(broken, "config.json")),
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
