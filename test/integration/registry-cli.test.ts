// Registry flows through the real `kiln build` / `kiln validate` CLI: seed 004 (FROM a private
// registry image, export_path → docker-import → docker-tag → docker-push with ecr_login, variables
// from the environment), seed 000 (login_server names another registry), a wrong password, and the
// split-sequence trap. ECR's GetAuthorizationToken is answered by THE ONLY STAND-IN
// (test/harness/ecr-standin.ts); the registries are real docker-registry processes.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ImageReference } from "../../src/engine/index.js";
import { startEcrStandin, type EcrStandin } from "../harness/ecr-standin.js";
import { randomPassword, startRegistry, type Registry } from "../harness/registry.js";
import { runKiln, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { imagesReportedIn } from "../harness/run-leaks.js";
import {
  assertNoSecrets,
  assertUserDockerConfigUnchanged,
  baseImage,
  RUN,
  snapshotUserDockerConfig,
  Tags,
  testEngine,
  watchProcesses,
} from "./registry-support.js";

const engine = testEngine();
const tags = new Tags(engine);
const userConfig = snapshotUserDockerConfig();
const TOKEN_PASSWORD = randomPassword();
const OTHER_PASSWORD = randomPassword();
const AWS_ACCESS_KEY = "AKIAKILNTEST00000001";
const AWS_SECRET_KEY = `kiln-cli-secret-${RUN}-${Date.now()}`;
let ecrRegistry: Registry; // htpasswd + TLS, user AWS (the token's)
let other: Registry; // htpasswd, another host (seed 000's wrong login_server)
let standin: EcrStandin;
let privateBase = "";

const describeRun = (r: { code: number | null; stdout: string; stderr: string }) =>
  `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

before(async () => {
  ecrRegistry = await startRegistry({ tls: true, users: [{ username: "AWS", password: TOKEN_PASSWORD }] });
  other = await startRegistry({ users: [{ username: "someone", password: OTHER_PASSWORD }] });
  standin = await startEcrStandin({
    password: TOKEN_PASSWORD,
    proxyEndpoint: `https://${ecrRegistry.host}`,
    accessKeyId: AWS_ACCESS_KEY,
  });
  // The seed builds FROM a private image in ECR: put one there.
  const base = await baseImage();
  privateBase = `${ecrRegistry.host}/kiln-it/a-know-server-container-${RUN}`;
  await engine.tagImage(base, privateBase, "0.1.0");
  tags.track(`${privateBase}:0.1.0`);
  await engine.pushImage(privateBase, "0.1.0", {
    auth: { username: "AWS", password: TOKEN_PASSWORD, serveraddress: ecrRegistry.host },
  });
  await engine.removeImage(`${privateBase}:0.1.0`, { noprune: true });
});

after(async () => {
  await tags.cleanup();
  await standin?.close();
  await ecrRegistry?.close();
  await other?.close();
  assertUserDockerConfigUnchanged(userConfig);
  await assertNoKilnLeftovers({ context: "after registry CLI tests" });
});

/** Seed 004's template, verbatim but for the base image and the provisioner (no internet here). */
function seed004(builder: Record<string, unknown>): object {
  return {
    variables: {
      ecr_repo: "{{env `APP_CONTAINER_ECR_REPO`}}",
      ecr_url: "{{env `ECR_URL`}}",
      aws_access_key: "{{env `AWS_ACCESS_KEY`}}",
      aws_secret_key: "{{env `AWS_SECRET_KEY`}}",
      tag: "0.0.1",
    },
    builders: [{ type: "docker", image: `${privateBase}:0.1.0`, export_path: "image.tar", ...builder }],
    provisioners: [
      {
        type: "shell",
        inline: [
          "mkdir -p /var/www/a-know-home/current",
          "echo app > /var/www/a-know-home/current/index.html",
        ],
      },
    ],
    "post-processors": [
      [
        {
          type: "docker-import",
          repository: `kiln-it/a-know-server-container-app-${RUN}`,
          tag: "{{user `tag`}}",
        },
        { type: "docker-tag", repository: "{{user `ecr_repo`}}", tag: "{{user `tag`}}" },
        {
          type: "docker-push",
          ecr_login: true,
          aws_access_key: "{{user `aws_access_key`}}",
          aws_secret_key: "{{user `aws_secret_key`}}",
          login_server: "{{user `ecr_url`}}",
        },
      ],
    ],
  };
}

function seedEnv(dockerConfig: string): Record<string, string> {
  return {
    APP_CONTAINER_ECR_REPO: `${ecrRegistry.host}/kiln-it/a-know-server-container-${RUN}`,
    ECR_URL: ecrRegistry.host,
    AWS_ACCESS_KEY,
    AWS_SECRET_KEY,
    AWS_ENDPOINT_URL_ECR: standin.endpoint,
    AWS_REGION: "ap-northeast-1",
    DOCKER_CONFIG: dockerConfig,
  };
}

describe("registry flows through kiln build", () => {
  it("seed 004: pulls the private base with the builder's ecr_login, pushes with ecr_login; pullable by the recorded digest", async (t) => {
    const dir = tempDir(t);
    const dockerConfig = join(dir, "docker-config");
    mkdirSync(dockerConfig);
    const template = seed004({
      ecr_login: true,
      login_server: "{{user `ecr_url`}}",
      aws_access_key: "{{user `aws_access_key`}}",
      aws_secret_key: "{{user `aws_secret_key`}}",
    });
    writeFileSync(join(dir, "template.json"), JSON.stringify(template, null, 2));
    tags.track(`kiln-it/a-know-server-container-app-${RUN}:0.0.1`);
    tags.track(`${ecrRegistry.host}/kiln-it/a-know-server-container-${RUN}:0.0.1`);
    const watcher = watchProcesses([TOKEN_PASSWORD]);
    const r = await runKiln(["build", "-color=false", "template.json"], {
      cwd: dir,
      env: seedEnv(dockerConfig),
    });
    const hits = await watcher.stop();
    for (const id of imagesReportedIn(r.output)) tags.track(id);
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(hits, [], "the ECR token never appears in any process's command line or environment");
    assert.match(
      r.stdout,
      new RegExp(`Pulling Docker image: ${privateBase.replace(/\./g, "\\.")}:0\\.1\\.0`),
    );
    assert.match(r.stdout, /Using credentials for .* from an Amazon ECR token/);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
    assert.ok(digest, r.stdout);
    const repoPath = ImageReference.parse(
      `${ecrRegistry.host}/kiln-it/a-know-server-container-${RUN}:0.0.1`,
    ).path;
    assert.equal(
      await ecrRegistry.manifestDigest(repoPath, "0.0.1"),
      digest,
      "the registry serves the recorded digest",
    );
    const byDigest = `${ecrRegistry.host}/${repoPath}@${digest}`;
    tags.track(byDigest);
    await engine.pullImage(byDigest, {
      auth: { username: "AWS", password: TOKEN_PASSWORD, serveraddress: ecrRegistry.host },
    });
    assert.ok(await engine.inspectImage(byDigest));
    for (const [where, text] of [
      ["stdout", r.stdout],
      ["stderr", r.stderr],
    ] as const) {
      assertNoSecrets(where, text, [TOKEN_PASSWORD, AWS_SECRET_KEY]);
    }
    // kiln never writes a docker config, not even the DOCKER_CONFIG it was given
    assert.deepEqual((await import("node:fs")).readdirSync(dockerConfig), []);
  });

  it("seed 004 with a docker login done beforehand: the pull uses config.json auths; -machine-readable leaks nothing", async (t) => {
    const dir = tempDir(t);
    const dockerConfig = join(dir, "docker-config");
    mkdirSync(dockerConfig);
    const auth = Buffer.from(`AWS:${TOKEN_PASSWORD}`).toString("base64");
    writeFileSync(
      join(dockerConfig, "config.json"),
      JSON.stringify({ auths: { [ecrRegistry.host]: { auth } } }),
    );
    const before = (await import("node:fs")).readFileSync(join(dockerConfig, "config.json"));
    writeFileSync(join(dir, "template.json"), JSON.stringify(seed004({}), null, 2));
    const r = await runKiln(["build", "-machine-readable", "template.json"], {
      cwd: dir,
      env: seedEnv(dockerConfig),
    });
    for (const id of imagesReportedIn(r.output)) tags.track(id);
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /,ui,message, {4}docker: Using credentials for .* from .*auths/);
    assert.match(r.stdout, /,docker,artifact,\d+,builder-id,packer\.post-processor\.docker-import/);
    assertNoSecrets("machine-readable stdout", r.stdout, [TOKEN_PASSWORD, AWS_SECRET_KEY]);
    assert.ok(
      (await import("node:fs")).readFileSync(join(dockerConfig, "config.json")).equals(before),
      "config.json unchanged",
    );
  });

  it("seed 000: a login_server naming another registry: warned up front, the failure names both hosts", async (t) => {
    const dir = tempDir(t);
    const repo = `${ecrRegistry.host}/kiln-it/node10-google-chrome-${RUN}`;
    tags.track(`${repo}:latest`);
    const template = {
      builders: [{ type: "docker", image: await baseImage(), pull: false, commit: true }],
      "post-processors": [
        [
          { type: "docker-tag", repository: repo, tags: ["latest"] },
          {
            type: "docker-push",
            login: true,
            login_server: other.host,
            login_username: "someone",
            login_password: OTHER_PASSWORD,
          },
        ],
      ],
    };
    writeFileSync(join(dir, "template.json"), JSON.stringify(template, null, 2));
    const r = await runKiln(["build", "-color=false", "template.json"], {
      cwd: dir,
      env: { DOCKER_CONFIG: join(dir, "empty") },
    });
    assert.equal(r.code, 1, describeRun(r));
    const out = r.stdout + r.stderr;
    assert.ok(out.includes(ecrRegistry.host) && out.includes(other.host), out);
    assert.match(out, /login_server/);
    assertNoSecrets("output", out, [OTHER_PASSWORD]);
    const imageId = /Image ID: (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
    if (imageId) tags.track(imageId);
  });

  it("a wrong password: exit 1 with a one-line cause, no retry", async (t) => {
    const dir = tempDir(t);
    const repo = `${other.host}/kiln-it/wrong-${RUN}`;
    tags.track(`${repo}:1`);
    const template = {
      builders: [{ type: "docker", image: await baseImage(), pull: false, commit: true }],
      "post-processors": [
        [
          { type: "docker-tag", repository: repo, tags: ["1"] },
          {
            type: "docker-push",
            login: true,
            login_server: other.host,
            login_username: "someone",
            login_password: "not-the-password",
          },
        ],
      ],
    };
    writeFileSync(join(dir, "template.json"), JSON.stringify(template, null, 2));
    const r = await runKiln(["build", "-color=false", "template.json"], {
      cwd: dir,
      env: { DOCKER_CONFIG: join(dir, "empty") },
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.doesNotMatch(r.stdout, /retrying|attempt 2/i);
    assert.match(r.stdout, /--> docker: Post-processor failed: .*(401|unauthori|authentication)/i);
    assert.ok(!r.stdout.includes("not-the-password"));
    const imageId = /Image ID: (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
    if (imageId) tags.track(imageId);
  });

  it("the template's login options authenticate the base-image pull (builder) and the push (docker-push)", async (t) => {
    const dir = tempDir(t);
    const base = `${other.host}/kiln-it/login-base-${RUN}`;
    const pushed = `${other.host}/kiln-it/login-pushed-${RUN}`;
    const auth = { username: "someone", password: OTHER_PASSWORD, serveraddress: other.host };
    await engine.tagImage(await baseImage(), base, "1");
    tags.track(`${base}:1`);
    await engine.pushImage(base, "1", { auth });
    // Only in the registry: a pull without the credentials cannot fall back to a local copy.
    await engine.removeImage(`${base}:1`, { noprune: true });
    tags.track(`${pushed}:1`);
    const login = {
      login: true,
      login_server: other.host,
      login_username: "someone",
      login_password: OTHER_PASSWORD,
    };
    const template = {
      builders: [{ type: "docker", image: `${base}:1`, commit: true, ...login }],
      "post-processors": [
        [
          { type: "docker-tag", repository: pushed, tags: ["1"] },
          { type: "docker-push", ...login },
        ],
      ],
    };
    writeFileSync(join(dir, "template.json"), JSON.stringify(template, null, 2));
    const r = await runKiln(["build", "-color=false", "template.json"], {
      cwd: dir,
      env: { DOCKER_CONFIG: join(dir, "empty") },
    });
    const imageId = /Image ID: (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
    if (imageId) tags.track(imageId);
    assert.equal(r.code, 0, describeRun(r));
    assert.doesNotMatch(r.stdout, /using the image already present/);
    assert.equal(
      [
        ...r.stdout.matchAll(
          new RegExp(`Using credentials for ${other.host.replace(/\./g, "\\.")} from the template`, "g"),
        ),
      ].length,
      2,
      r.stdout,
    );
    assert.ok(await other.manifestDigest(`kiln-it/login-pushed-${RUN}`, "1"), "pushed tag in the registry");
    assertNoSecrets("output", r.stdout + r.stderr, [OTHER_PASSWORD]);
  });

  it("aws_profile and aws_token reach the ECR token request, for the pull (builder) and the push (docker-push)", async (t) => {
    const dir = tempDir(t);
    const credentials = join(dir, "aws-credentials");
    writeFileSync(
      credentials,
      `[kiln-profile]\naws_access_key_id = ${AWS_ACCESS_KEY}\naws_secret_access_key = ${AWS_SECRET_KEY}\n`,
    );
    const keys = { aws_access_key: "{{user `aws_access_key`}}", aws_secret_key: "{{user `aws_secret_key`}}" };
    const ecr = { ecr_login: true, login_server: "{{user `ecr_url`}}" };
    const cases = [
      {
        builder: { ...ecr, aws_profile: "kiln-profile" },
        push: { ...ecr, ...keys, aws_token: `push-token-${RUN}` },
      },
      {
        builder: { ...ecr, ...keys, aws_token: `pull-token-${RUN}` },
        push: { ...ecr, aws_profile: "kiln-profile" },
      },
    ];
    tags.track(`kiln-it/a-know-server-container-app-${RUN}:0.0.1`);
    tags.track(`${ecrRegistry.host}/kiln-it/a-know-server-container-${RUN}:0.0.1`);
    for (const c of cases) {
      const template = seed004(c.builder) as { "post-processors": Record<string, unknown>[][] };
      template["post-processors"][0]![2] = { type: "docker-push", ...c.push };
      writeFileSync(join(dir, "template.json"), JSON.stringify(template, null, 2));
      const before = standin.calls.length;
      const r = await runKiln(["build", "-color=false", "template.json"], {
        cwd: dir,
        env: {
          ...seedEnv(join(dir, "docker-config")),
          AWS_SHARED_CREDENTIALS_FILE: credentials,
          AWS_CONFIG_FILE: join(dir, "no-aws-config"),
        },
      });
      for (const id of imagesReportedIn(r.output)) tags.track(id);
      assert.equal(r.code, 0, describeRun(r));
      const calls = standin.calls.slice(before);
      assert.equal(calls.length, 2, JSON.stringify(calls));
      // The pull's request comes first, then the push's.
      const tokens = calls.map((call) => call.sessionToken);
      const want = [
        "aws_token" in c.builder ? c.builder.aws_token : undefined,
        "aws_token" in c.push ? c.push.aws_token : undefined,
      ];
      assert.deepEqual(tokens, want);
      assert.ok(calls.every((call) => call.accessKeyId === AWS_ACCESS_KEY));
    }
  });

  it("aws_force_use_public_ecr (ECR Public) is refused at validate, for the builder and for docker-push", async (t) => {
    const dir = tempDir(t);
    const template = {
      builders: [
        {
          type: "docker",
          image: "x",
          commit: true,
          ecr_login: true,
          login_server: "h",
          aws_force_use_public_ecr: true,
        },
      ],
      "post-processors": [
        [
          { type: "docker-tag", repository: "h/x", tags: ["1"] },
          { type: "docker-push", ecr_login: true, login_server: "h", aws_force_use_public_ecr: true },
        ],
      ],
    };
    writeFileSync(join(dir, "template.json"), JSON.stringify(template, null, 2));
    const r = await runKiln(["validate", "template.json"], {
      cwd: dir,
      env: { DOCKER_HOST: "unix:///nonexistent.sock" },
    });
    assert.equal(r.code, 2, describeRun(r));
    const refusals = r.stderr.match(/template\.json:\d+:\d+: error: .*aws_force_use_public_ecr/g) ?? [];
    assert.equal(refusals.length, 2, r.stderr);
  });

  it("kiln validate catches the split-sequence trap (Packer #4017/#5526) with the corrected template", async (t) => {
    const dir = tempDir(t);
    const template = {
      builders: [{ type: "docker", image: "debian:bookworm", commit: true }],
      "post-processors": [
        { type: "docker-tag", repository: "morawskim/node10-google-chrome", tag: "latest" },
        { type: "docker-push" },
      ],
    };
    writeFileSync(join(dir, "template.json"), JSON.stringify(template, null, 2));
    const r = await runKiln(["validate", "template.json"], {
      cwd: dir,
      env: { DOCKER_HOST: "unix:///nonexistent.sock" },
    });
    assert.equal(r.code, 2, describeRun(r));
    assert.match(r.stderr, /template\.json:\d+:\d+: error: .*docker-push/);
    assert.match(r.stderr, /sha256/);
    assert.match(r.stderr, /docker-tag/);
  });
});
