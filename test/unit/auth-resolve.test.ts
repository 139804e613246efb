import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import type * as EcrSdk from "@aws-sdk/client-ecr";
import { describeSource, resolveAuth, type ResolveOptions } from "../../src/auth/resolve.js";

const BIN = fileURLToPath(new URL("../fixtures/bin", import.meta.url));
const root = mkdtempSync(path.join(os.tmpdir(), "kiln-resolve-"));
after(() => rmSync(root, { recursive: true, force: true }));
const b64 = (s: string): string => Buffer.from(s).toString("base64");
let n = 0;

/** A DOCKER_CONFIG dir with this config.json and a helper store; returns the env to use. */
function setup(config: object, helperAnswers: Record<string, object> = {}): NodeJS.ProcessEnv {
  const dir = path.join(root, String(n++));
  mkdirSync(path.join(dir, "store"), { recursive: true });
  writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
  for (const [server, answer] of Object.entries(helperAnswers)) {
    writeFileSync(
      path.join(dir, "store", `${server.replace(/[^A-Za-z0-9._-]/g, "_")}.json`),
      JSON.stringify(answer),
    );
  }
  return {
    DOCKER_CONFIG: dir,
    KILNTEST_CRED_DIR: path.join(dir, "store"),
    PATH: `${BIN}:${process.env.PATH ?? ""}`,
  };
}

function opts(
  env: NodeJS.ProcessEnv,
  extra: Partial<ResolveOptions> = {},
): ResolveOptions & { secrets: string[]; warnings: string[] } {
  const secrets: string[] = [];
  const warnings: string[] = [];
  return {
    env,
    onSecret: (s) => secrets.push(s),
    onWarning: (w) => warnings.push(w),
    secrets,
    warnings,
    ...extra,
  };
}

function fakeEcr(password: string): () => Promise<typeof EcrSdk> {
  class ECRClient {
    async send(): Promise<unknown> {
      return {
        authorizationData: [{ authorizationToken: Buffer.from(`AWS:${password}`).toString("base64") }],
      };
    }
    destroy(): void {}
  }
  class GetAuthorizationTokenCommand {}
  return async () => ({ ECRClient, GetAuthorizationTokenCommand }) as unknown as typeof EcrSdk;
}

describe("resolveAuth", () => {
  it("uses the template's login for its own server, and only there", async () => {
    const env = setup({ auths: { "127.0.0.1:5001": { auth: b64("cfg:cfg-pass") } } });
    const o = opts(env, {
      templateLogin: { server: "https://127.0.0.1:5000/", username: "tpl", password: "tpl-pass" },
    });
    const mine = await resolveAuth("127.0.0.1:5000", o);
    assert.equal(mine.source, "template");
    assert.deepEqual(mine.auth, { username: "tpl", password: "tpl-pass", serveraddress: "127.0.0.1:5000" });
    const other = await resolveAuth("127.0.0.1:5001", o);
    assert.equal(other.source, "config auths");
    assert.equal(other.auth?.password, "cfg-pass");
    assert.deepEqual(o.secrets, ["tpl-pass", b64("cfg:cfg-pass"), "cfg-pass"]);
  });

  it("an empty login_server means Docker Hub, under any spelling of the reference", async () => {
    const o = opts(setup({}), { templateLogin: { server: "", username: "u", password: "hub-pass" } });
    const hub = await resolveAuth("docker.io", o);
    assert.equal(hub.source, "template");
    assert.equal(hub.auth?.serveraddress, "https://index.docker.io/v1/");
    assert.equal((await resolveAuth("127.0.0.1:5000", o)).source, "none");
  });

  it("seed 000: login_server https://index.docker.io matches docker.io references", async () => {
    const o = opts(setup({}), {
      templateLogin: { server: "https://index.docker.io", username: "u", password: "hub-pass" },
    });
    assert.equal((await resolveAuth("docker.io", o)).source, "template");
  });

  it("ECR wins for its server", async () => {
    const server = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    const o = opts(setup({ auths: { [server]: { auth: b64("AWS:stale-pass") } } }), {
      ecr: { server },
      templateLogin: { server, username: "x", password: "tpl-pass" },
      loadEcrSdk: fakeEcr("fresh-ecr-pass"),
    });
    const r = await resolveAuth(server, o);
    assert.equal(r.source, "ecr");
    assert.deepEqual(r.auth, { username: "AWS", password: "fresh-ecr-pass", serveraddress: server });
    assert.deepEqual(o.secrets, ["fresh-ecr-pass"]);
  });

  it("follows Docker's chain: credHelpers, then credsStore, then auths", async () => {
    const env = setup(
      {
        credHelpers: { "helped.example": "kilntest" },
        credsStore: "kilntest",
        auths: {
          "helped.example": { auth: b64("a:auths-1") },
          "stored.example": {},
          "plain.example": { auth: b64("p:auths-2") },
        },
      },
      {
        "helped.example": { Username: "h", Secret: "helper-pass" },
        "stored.example": { Username: "<token>", Secret: "store-token" },
      },
    );
    const helped = await resolveAuth("helped.example", opts(env));
    assert.equal(helped.source, "credential helper kilntest");
    assert.equal(helped.auth?.password, "helper-pass");
    assert.equal(helped.origin, path.join(env.DOCKER_CONFIG!, "config.json"));
    const stored = await resolveAuth("stored.example", opts(env));
    assert.equal(stored.source, "credsStore kilntest");
    assert.deepEqual(stored.auth, { identitytoken: "store-token", serveraddress: "stored.example" });
    const plain = await resolveAuth("plain.example", opts(env));
    assert.equal(plain.source, "config auths");
    assert.equal(plain.auth?.password, "auths-2");
    assert.equal((await resolveAuth("unknown.example", opts(env))).source, "none");
    assert.equal(describeSource(plain), `config auths (${path.join(env.DOCKER_CONFIG!, "config.json")})`);
  });

  it("falls back along the chain when a helper is missing, with a warning", async () => {
    const env = setup({
      credsStore: "desktop-not-installed",
      auths: { "r.example": { auth: b64("u:fallback-pass") } },
    });
    const o = opts(env);
    const r = await resolveAuth("r.example", o);
    assert.equal(r.source, "config auths");
    assert.equal(o.warnings.length, 1);
    assert.match(o.warnings[0]!, /docker-credential-desktop-not-installed is not on PATH/);
  });

  it("answers none without a config file, and warns about a broken one", async () => {
    assert.deepEqual(await resolveAuth("r.example", opts({ DOCKER_CONFIG: path.join(root, "absent") })), {
      source: "none",
      server: "r.example",
    });
    const dir = path.join(root, "broken");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "config.json"), "{not json");
    const o = opts({ DOCKER_CONFIG: dir });
    assert.equal((await resolveAuth("r.example", o)).source, "none");
    assert.match(o.warnings[0]!, /not valid JSON/);
  });
});
