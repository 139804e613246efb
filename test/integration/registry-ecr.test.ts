// Seed 004's flow (Packer → Amazon ECR): export_path → docker-import → docker-tag → docker-push
// with ecr_login, through kiln's real post-processor chain and engine. ECR's GetAuthorizationToken
// is answered by THE ONLY STAND-IN of these tests (test/harness/ecr-standin.ts), reached through
// AWS_ENDPOINT_URL_ECR; the registry behind the token is a real htpasswd+TLS docker-registry.
// A loopback registry cannot carry an ECR host name without DNS changes, so the region comes from
// AWS_REGION (kiln's rule for ECR-compatible hosts that do not name one).
import assert from "node:assert/strict";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../src/engine/index.js";
import { ImageReference } from "../../src/engine/index.js";
import { createDockerImport } from "../../src/post-processors/docker-import.js";
import { createDockerPush } from "../../src/post-processors/docker-push.js";
import { createDockerTag } from "../../src/post-processors/docker-tag.js";
import type { Artifact } from "../../src/core/artifact.js";
import { runPostProcessors } from "../../src/run/post-process.js";
import type { PostProcessorDef } from "../../src/template/types.js";
import { startEcrStandin, type EcrStandin } from "../harness/ecr-standin.js";
import { randomPassword, startRegistry, type Registry } from "../harness/registry.js";
import {
  assertNoSecrets,
  assertUserDockerConfigUnchanged,
  baseImage,
  RUN,
  snapshotUserDockerConfig,
  Tags,
  testContext,
  testEngine,
  watchProcesses,
} from "./registry-support.js";

const engine: Engine = testEngine();
const tags = new Tags(engine);
const userConfig = snapshotUserDockerConfig();
const tmp = mkdtempSync(path.join(os.tmpdir(), "kiln-ecr-it-"));
const TOKEN_PASSWORD = randomPassword();
const AWS_ACCESS_KEY = "AKIAKILNTEST00000000";
const AWS_SECRET_KEY = `kiln-secret-${RUN}-${Date.now()}`;
let registry: Registry;
let standin: EcrStandin;
let exportPath = "";
const imageIds: string[] = [];

/** What the docker builder with export_path leaves: the container's filesystem as a tar. */
async function exportBuild(dest: string): Promise<void> {
  const id = await engine.createContainer({
    Image: await baseImage(),
    Cmd: [
      "/bin/sh",
      "-c",
      "mkdir -p /var/www/a-know-home/current && echo built > /var/www/a-know-home/current/index",
    ],
    Labels: { "kiln.test": "1" },
    HostConfig: {},
  });
  try {
    await engine.startContainer(id);
    for (let i = 0; i < 200 && (await engine.inspectContainer(id))?.State.Running; i++) await sleep(25);
    await pipeline(await engine.exportContainer(id), createWriteStream(dest));
  } finally {
    await engine.removeContainer(id);
  }
}

before(async () => {
  registry = await startRegistry({ tls: true, users: [{ username: "AWS", password: TOKEN_PASSWORD }] });
  standin = await startEcrStandin({
    password: TOKEN_PASSWORD,
    proxyEndpoint: `https://${registry.host}`,
    accessKeyId: AWS_ACCESS_KEY,
  });
  exportPath = path.join(tmp, "image.tar");
  await exportBuild(exportPath);
});

after(async () => {
  await tags.cleanup();
  for (const id of imageIds) await engine.removeImage(id, { force: true }).catch(() => undefined);
  await standin?.close();
  await registry?.close();
  rmSync(tmp, { recursive: true, force: true });
  assertUserDockerConfigUnchanged(userConfig);
});

function def(type: string, config: Record<string, unknown>): PostProcessorDef {
  return { type, name: type, named: false, config };
}

describe("seed 004: docker-import → docker-tag → docker-push with ecr_login", () => {
  it("pushes to the registry with an ECR token and the image pulls back by the recorded digest", async () => {
    // The seed's variables, as `{{env ...}}` would read them.
    const vars = {
      ecr_url: registry.host,
      ecr_repo: `${registry.host}/kiln-it/a-know-server-container-${RUN}`,
      aws_access_key: AWS_ACCESS_KEY,
      aws_secret_key: AWS_SECRET_KEY,
      tag: "0.0.1",
    };
    const sequence = [
      def("docker-import", {
        repository: `kiln-it/a-know-server-container-app-${RUN}`,
        tag: vars.tag,
        changes: ["LABEL kiln.test=1"],
        platform: "",
      }),
      def("docker-tag", { repository: vars.ecr_repo, tags: [], tag: [vars.tag], force: false, platform: "" }),
      def("docker-push", {
        ecr_login: true,
        aws_access_key: vars.aws_access_key,
        aws_secret_key: vars.aws_secret_key,
        login_server: vars.ecr_url,
        login: false,
        login_username: "",
        login_password: "",
        aws_token: "",
        aws_profile: "",
        aws_force_use_public_ecr: false,
        platform: "",
      }),
    ];
    const dockerConfig = path.join(tmp, "docker-config");
    mkdirSync(dockerConfig);
    const env = {
      ...process.env,
      DOCKER_CONFIG: dockerConfig,
      AWS_ENDPOINT_URL_ECR: standin.endpoint,
      AWS_REGION: "ap-northeast-1",
    };
    const c = testContext(engine, env, null);
    const builderArtifact: Artifact = { kind: "export", builderId: "packer.docker", path: exportPath };
    const watcher = watchProcesses([TOKEN_PASSWORD, AWS_SECRET_KEY]);
    const components = {
      builders: {},
      provisioners: {},
      postProcessors: {
        "docker-import": { create: createDockerImport },
        "docker-tag": { create: createDockerTag },
        "docker-push": { create: createDockerPush },
      },
    };
    const result = await runPostProcessors([sequence], builderArtifact, c.ctx, components, (_step, fn) =>
      fn().then(() => undefined),
    );
    assert.deepEqual(await watcher.stop(), [], "no secret in any process's command line or environment");
    for (const a of result.artifacts) {
      if (a.kind !== "image") continue;
      imageIds.push(a.imageId);
      for (const t of a.tags) tags.track(t);
    }
    assert.deepEqual(result.errors, []);

    const pushedArtifact = result.artifacts.at(-1);
    assert.ok(pushedArtifact?.kind === "image", JSON.stringify(result.artifacts));
    assert.equal(pushedArtifact.builderId, "packer.post-processor.docker-import");
    const [pushed] = pushedArtifact.pushed ?? [];
    assert.equal(pushed?.ref, `${vars.ecr_repo}:0.0.1`);
    assert.match(pushed.digest, /^sha256:[0-9a-f]{64}$/);

    // The stand-in saw one SigV4-signed call, for the region from AWS_REGION.
    assert.equal(standin.calls.length, 1);
    assert.equal(standin.calls[0]?.accessKeyId, AWS_ACCESS_KEY);
    assert.equal(standin.calls[0]?.region, "ap-northeast-1");
    assert.equal(standin.calls[0]?.service, "ecr");

    const ref = ImageReference.parse(pushed.ref);
    assert.equal(
      await registry.manifestDigest(ref.path, "0.0.1"),
      pushed.digest,
      "the registry serves the recorded digest",
    );
    const byDigest = `${ref.name}@${pushed.digest}`;
    tags.track(byDigest);
    await engine.pullImage(byDigest, {
      auth: { username: "AWS", password: TOKEN_PASSWORD, serveraddress: registry.host },
    });
    assert.equal((await engine.inspectImage(byDigest))?.Id, pushedArtifact.imageId);

    const out = c.output();
    assert.match(out.human, /docker \(docker-push\): Fetching ECR credentials\.\.\./);
    assert.match(
      out.human,
      new RegExp(`Using credentials for ${registry.host.replace(/\./g, "\\.")} from an Amazon ECR token`),
    );
    for (const [where, text] of [
      ["raw", out.raw.join("\n")],
      ["human", out.human],
      ["machine-readable", out.machine],
    ] as const) {
      assertNoSecrets(where, text, [TOKEN_PASSWORD, AWS_SECRET_KEY]);
    }
  });
});
