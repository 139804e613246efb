// docker-push against real registries (Debian's docker-registry) through the real engine: a plain
// one, and one with htpasswd basic auth behind TLS. Credentials come from config.json auths, a
// credential helper, or the template; failures must explain themselves in one line.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { Engine } from "../../src/engine/index.js";
import { ON_PODMAN } from "./support/engine.js";
import { ImageReference } from "../../src/engine/index.js";
import { createDockerPush, PushError } from "../../src/post-processors/docker-push.js";
import type { Artifact } from "../../src/core/artifact.js";
import { randomPassword, startRegistry, type Registry } from "../harness/registry.js";
import {
  assertNoSecrets,
  assertUserDockerConfigUnchanged,
  baseImage,
  interceptPushes,
  snapshotUserDockerConfig,
  Tags,
  testContext,
  testEngine,
  watchProcesses,
} from "./registry-support.js";

const FIXTURE_BIN = fileURLToPath(new URL("../fixtures/bin", import.meta.url));
const PASSWORD = randomPassword();
const USER = "kiln";

const engine: Engine = testEngine();
const tags = new Tags(engine);
const userConfig = snapshotUserDockerConfig();
const tmp = mkdtempSync(path.join(os.tmpdir(), "kiln-registry-it-"));
let plain: Registry;
let secure: Registry;
let base = "";
let imageId = "";

const pushConfig = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  login: false,
  login_server: "",
  login_username: "",
  login_password: "",
  ecr_login: false,
  aws_access_key: "",
  aws_secret_key: "",
  aws_token: "",
  aws_profile: "",
  aws_force_use_public_ecr: false,
  platform: "",
  docker_path: "docker",
  ...over,
});

function tagArtifact(refs: string[]): Artifact {
  return {
    kind: "image",
    builderId: "packer.post-processor.docker-tag",
    imageId,
    id: refs[refs.length - 1]!,
    tags: refs,
  };
}

/** A DOCKER_CONFIG directory holding `config`; returns the environment kiln runs with. */
function dockerConfigEnv(
  name: string,
  config: object | undefined,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  if (config !== undefined) writeFileSync(path.join(dir, "config.json"), JSON.stringify(config, null, "\t"));
  return { ...process.env, DOCKER_CONFIG: dir, ...extra };
}

const basicAuth = (user: string, password: string): string =>
  Buffer.from(`${user}:${password}`).toString("base64");

before(async () => {
  base = await baseImage();
  imageId = (await engine.inspectImage(base))!.Id;
  plain = await startRegistry();
  secure = await startRegistry({ tls: true, users: [{ username: USER, password: PASSWORD }] });
});

after(async () => {
  await tags.cleanup();
  await plain?.close();
  await secure?.close();
  rmSync(tmp, { recursive: true, force: true });
  assertUserDockerConfigUnchanged(userConfig);
});

/** Runs docker-push, watching every process for the password meanwhile. */
async function push(
  env: NodeJS.ProcessEnv,
  config: Record<string, unknown>,
  refs: string[],
  wrap: (e: Engine) => Engine = (e) => e,
): Promise<{
  result?: Awaited<ReturnType<ReturnType<typeof createDockerPush>["process"]>>;
  error?: unknown;
  t: ReturnType<typeof testContext>;
}> {
  const t = testContext(wrap(engine), env);
  const watcher = watchProcesses([PASSWORD]);
  try {
    const result = await createDockerPush(config).process(t.ctx, tagArtifact(refs));
    return { result, t };
  } catch (error) {
    return { error, t };
  } finally {
    assert.deepEqual(
      await watcher.stop(),
      [],
      "no process had the password in its command line or environment",
    );
    const out = t.output();
    assertNoSecrets("raw ui output", out.raw.join("\n"), [PASSWORD]);
    assertNoSecrets("human output", out.human, [PASSWORD]);
    assertNoSecrets("machine-readable output", out.machine, [PASSWORD]);
  }
}

describe("docker-push to a real registry", () => {
  it("pushes every tag once, records the digests the registry serves, and the image pulls back by digest", async () => {
    const refs = await tags.tag(base, plain.host, "plain", ["1.0", "latest"]);
    let wrapped: ReturnType<typeof interceptPushes> | undefined;
    const { result, error, t } = await push(
      dockerConfigEnv("none-1", undefined),
      pushConfig(),
      refs,
      (e) => (wrapped = interceptPushes(e, {})),
    );
    assert.equal(error, undefined, String(error));
    assert.deepEqual(wrapped?.pushCalls.length, 2, "each tag pushed once (Packer pushes the last one twice)");
    const artifact = result!.artifact;
    assert.equal(artifact.kind, "image");
    assert.ok(artifact.kind === "image");
    assert.equal(artifact.builderId, "packer.post-processor.docker-import");
    assert.equal(artifact.id, refs[0]);
    assert.deepEqual(
      artifact.pushed?.map((p) => p.ref),
      refs,
    );
    for (const p of artifact.pushed ?? []) {
      const ref = ImageReference.parse(p.ref);
      assert.equal(
        await plain.manifestDigest(ref.path, ref.tagOrLatest),
        p.digest,
        "the registry serves the recorded digest",
      );
    }
    const human = t.output().human;
    assert.match(human, new RegExp(`docker \\(docker-push\\): Pushing: ${escape(refs[0]!)}\\n`));
    // The engine's own progress text: Podman names the tag too and reports no per-layer lines.
    const pushedName = ON_PODMAN ? refs[0]! : ImageReference.parse(refs[0]!).name;
    assert.match(human, new RegExp(`The push refers to repository \\[${escape(pushedName)}\\]`));
    if (!ON_PODMAN) assert.match(human, /: Pushed\n|: Layer already exists\n/);
    assert.match(human, /1\.0: digest: sha256:[0-9a-f]{64} size: \d+/);
    assert.equal(human.match(/Pushing: /g)?.length, 2);

    // Pull it back by the recorded digest.
    const first = artifact.pushed[0]!;
    const byDigest = `${ImageReference.parse(first.ref).name}@${first.digest}`;
    tags.track(byDigest);
    await engine.pullImage(byDigest);
    assert.equal((await engine.inspectImage(byDigest))?.Id, imageId);
  });

  it("logs in through config.json auths (read-only)", async () => {
    const refs = await tags.tag(base, secure.host, "auths", ["1"]);
    const env = dockerConfigEnv("auths", {
      auths: { [`https://${secure.host}`]: { auth: basicAuth(USER, PASSWORD) } },
    });
    const configFile = path.join(env.DOCKER_CONFIG!, "config.json");
    const before = readFileSync(configFile);
    const { error, result, t } = await push(env, pushConfig(), refs);
    assert.equal(error, undefined, String(error));
    assert.ok(readFileSync(configFile).equals(before), "config.json untouched");
    assert.match(
      t.output().human,
      new RegExp(
        `Using credentials for ${escape(secure.host)} from config auths \\(${escape(configFile)}\\)`,
      ),
    );
    const pushed = result!.artifact.kind === "image" ? result!.artifact.pushed : undefined;
    const ref = ImageReference.parse(refs[0]!);
    assert.equal(await secure.manifestDigest(ref.path, "1"), pushed?.[0]?.digest);
  });

  it("logs in through a credential helper", async () => {
    const refs = await tags.tag(base, secure.host, "helper", ["1"]);
    const store = path.join(tmp, "helper-store");
    mkdirSync(store, { recursive: true });
    writeFileSync(
      path.join(store, `${secure.host.replace(/[^A-Za-z0-9._-]/g, "_")}.json`),
      JSON.stringify({ Username: USER, Secret: PASSWORD }),
      {
        mode: 0o600,
      },
    );
    const env = dockerConfigEnv(
      "helper",
      { credHelpers: { [secure.host]: "kilntest" } },
      { PATH: `${FIXTURE_BIN}:${process.env.PATH ?? ""}`, KILNTEST_CRED_DIR: store },
    );
    const { error, t } = await push(env, pushConfig(), refs);
    assert.equal(error, undefined, String(error));
    assert.match(t.output().human, /from credential helper kilntest/);
    assert.equal(
      readFileSync(path.join(store, "calls.log"), "utf8"),
      `get|${secure.host}\n`,
      "argv is `get`, the server came on stdin",
    );
  });

  it("logs in with the template's login options", async () => {
    const refs = await tags.tag(base, secure.host, "template", ["1", "2"]);
    const { error, result, t } = await push(
      dockerConfigEnv("none-2", undefined),
      pushConfig({
        login: true,
        login_server: `https://${secure.host}/`,
        login_username: USER,
        login_password: PASSWORD,
      }),
      refs,
    );
    assert.equal(error, undefined, String(error));
    assert.equal(result!.artifact.kind === "image" && result!.artifact.pushed?.length, 2);
    assert.match(t.output().human, /from the template's login_username\/login_password/);
  });

  it("a wrong password fails at once with a one-line cause", async () => {
    const refs = await tags.tag(base, secure.host, "wrong", ["1"]);
    let wrapped: ReturnType<typeof interceptPushes> | undefined;
    const { error, t } = await push(
      dockerConfigEnv("none-3", undefined),
      pushConfig({
        login: true,
        login_server: secure.host,
        login_username: USER,
        login_password: `${PASSWORD}-wrong`,
      }),
      refs,
      (e) => (wrapped = interceptPushes(e, {})),
    );
    assert.ok(error instanceof PushError, String(error));
    assert.equal(wrapped?.pushCalls.length, 1, "no retry");
    assert.equal(error.attempts, 1);
    assert.ok(!error.message.includes("\n"), "one line");
    assert.match(
      error.message,
      // Case-insensitive: Docker 26 with the containerd image store says "401 Unauthorized".
      new RegExp(`^push of ${escape(refs[0]!)} failed: .*(unauthorized|authentication required)`, "i"),
    );
    assert.match(
      error.message,
      new RegExp(
        `kiln authenticated against ${escape(secure.host)} with the template's login_username/login_password`,
      ),
    );
    assert.match(error.message, /Fix: check login_username and login_password/);
    assertNoSecrets("error", error.message, [PASSWORD]);
    assert.ok(!t.output().human.includes("retrying"));
  });

  it("no credentials at all: says none were found and how to provide them", async () => {
    const refs = await tags.tag(base, secure.host, "anon", ["1"]);
    const { error } = await push(dockerConfigEnv("none-4", { auths: {} }), pushConfig(), refs);
    assert.ok(error instanceof PushError, String(error));
    assert.match(error.message, /no basic auth credentials|unauthorized/);
    assert.match(error.message, new RegExp(`kiln found no credentials for ${escape(secure.host)}`));
    assert.match(error.message, /set "login": true with login_username and login_password/);
  });

  it("seed 000: a login_server that names another registry is flagged up front, and the denial names both hosts", async () => {
    const refs = await tags.tag(base, secure.host, "seed000", ["latest"]);
    let wrapped: ReturnType<typeof interceptPushes> | undefined;
    const { error, t } = await push(
      dockerConfigEnv("none-5", undefined),
      pushConfig({ login: true, login_server: plain.host, login_username: USER, login_password: PASSWORD }),
      refs,
      (e) => (wrapped = interceptPushes(e, {})),
    );
    const human = t.output().human;
    const warning = human.split("\n").find((l) => l.includes("Warning:"));
    assert.ok(warning, human);
    assert.ok(warning.includes(secure.host) && warning.includes(plain.host), warning);
    assert.ok(human.indexOf("Warning:") < human.indexOf("Pushing:"), "the warning comes before the push");
    assert.ok(error instanceof PushError, String(error));
    assert.equal(wrapped?.pushCalls.length, 1);
    assert.ok(!error.message.includes("\n"));
    assert.match(error.message, new RegExp(`points to registry ${escape(secure.host)}`));
    assert.match(
      error.message,
      new RegExp(`credentials are for ${escape(plain.host)}, not ${escape(secure.host)}`),
    );
    assert.match(
      error.message,
      new RegExp(
        `set "login_server": "${escape(secure.host)}" \\(the repository's registry\\), or make the repository ${escape(plain.host)}/kiln-it/`,
      ),
    );
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
