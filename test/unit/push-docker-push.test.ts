import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  createDockerPush,
  PushError,
  PushProgressPrinter,
  refsToPush,
} from "../../src/post-processors/docker-push.js";
import { exponentialSchedule } from "../../src/post-processors/push-retry.js";
import type { Artifact } from "../../src/core/artifact.js";
import { BuildError } from "../../src/core/errors.js";
import {
  digestOf,
  fakeContext,
  pushConfig,
  pushEvents,
  ScriptedEngine,
  streamError,
  type PushStep,
} from "./push-fakes.js";

const IMAGE_ID = `sha256:${"ab".repeat(32)}`;
const noConfig = mkdtempSync(path.join(os.tmpdir(), "kiln-push-unit-"));
after(() => rmSync(noConfig, { recursive: true, force: true }));
const ENV = { DOCKER_CONFIG: noConfig };

function tagged(tags: string[], builderId = "packer.post-processor.docker-tag"): Artifact {
  return { kind: "image", builderId, imageId: IMAGE_ID, id: tags[tags.length - 1] ?? IMAGE_ID, tags };
}

function succeeding(): (call: { name: string; tag: string }) => PushStep {
  let n = 0;
  return ({ name, tag }) => {
    const digest = digestOf(++n);
    return { events: pushEvents(name, tag, digest), digest };
  };
}

const instant = { sleep: async (): Promise<void> => {}, retry: exponentialSchedule(5, 1000, 8000) };

describe("refsToPush", () => {
  it("pushes each reference once, id first only when the tags lack it", () => {
    assert.deepEqual(refsToPush(tagged(["r/app:1.0", "r/app:latest"])), ["r/app:1.0", "r/app:latest"]);
    assert.deepEqual(
      refsToPush({
        kind: "image",
        builderId: "packer.post-processor.docker-import",
        imageId: IMAGE_ID,
        id: "r/app",
        tags: ["r/app:latest"],
      }),
      ["r/app:latest"],
    );
    assert.deepEqual(
      refsToPush({
        kind: "image",
        builderId: "packer.post-processor.docker-import",
        imageId: IMAGE_ID,
        id: "r/other:2",
        tags: ["r/app:1"],
      }),
      ["r/other:2", "r/app:1"],
    );
    assert.deepEqual(
      refsToPush({
        kind: "image",
        builderId: "packer.post-processor.docker-import",
        imageId: IMAGE_ID,
        id: IMAGE_ID,
        tags: [],
      }),
      [],
    );
  });
});

describe("docker-push", () => {
  it("pushes every tag once, in order, printing Packer-like lines, and records the digests", async () => {
    const engine = new ScriptedEngine(succeeding());
    const { ctx, ui } = fakeContext(engine.asEngine(), ENV);
    const pp = createDockerPush(pushConfig(), instant);
    const result = await pp.process(
      ctx,
      tagged(["127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:latest"]),
    );
    assert.deepEqual(
      engine.calls.map((c) => `${c.name}:${c.tag}`),
      ["127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:latest"],
    );
    assert.deepEqual(result.artifact, {
      kind: "image",
      builderId: "packer.post-processor.docker-import",
      imageId: IMAGE_ID,
      id: "127.0.0.1:5000/team/app:1.0",
      tags: ["127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000/team/app:latest"],
      pushed: [
        { ref: "127.0.0.1:5000/team/app:1.0", digest: digestOf(1), bytes: 2048 },
        { ref: "127.0.0.1:5000/team/app:latest", digest: digestOf(2), bytes: 2048 },
      ],
    });
    assert.equal(result.keep, true);
    assert.equal(result.forceKeep, false);
    const lines = ui.lines.map((l) => l.text);
    assert.deepEqual(lines.slice(0, 6), [
      "No credentials for 127.0.0.1:5000: pushing anonymously",
      "Pushing: 127.0.0.1:5000/team/app:1.0",
      "The push refers to repository [127.0.0.1:5000/team/app]",
      "a8d2ba7dd751: Preparing",
      "a8d2ba7dd751: Pushed",
      `1.0: digest: ${digestOf(1)} size: 528`,
    ]);
    assert.equal(lines.filter((l) => l.startsWith("Pushing: ")).length, 2);
  });

  it("refuses the builder's artifact with Packer's words and explains the sequence trap", async () => {
    const engine = new ScriptedEngine(succeeding());
    const { ctx } = fakeContext(engine.asEngine(), ENV);
    const pp = createDockerPush(pushConfig(), instant);
    await assert.rejects(
      pp.process(ctx, { kind: "export", builderId: "packer.docker", path: "/tmp/x.tar" }),
      (e: unknown) => {
        const m = (e as Error).message;
        return (
          e instanceof BuildError &&
          m.includes("Can only import from docker-import and docker-tag artifacts.") &&
          m.includes("same sequence")
        );
      },
    );
    await assert.rejects(
      pp.process(ctx, {
        kind: "image",
        builderId: "packer.post-processor.docker-import",
        imageId: IMAGE_ID,
        id: IMAGE_ID,
        tags: [],
      }),
      /nothing to push.*docker-tag before the docker-push in the same post-processor sequence/,
    );
    assert.equal(engine.calls.length, 0);
  });

  it("registers secrets before anything else happens", async () => {
    const engine = new ScriptedEngine(succeeding());
    const { ctx, secrets, ui } = fakeContext(engine.asEngine(), ENV);
    const pp = createDockerPush(
      pushConfig({
        login: true,
        login_server: "127.0.0.1:5000",
        login_username: "u",
        login_password: "tpl-secret",
      }),
      instant,
    );
    await assert.rejects(pp.process(ctx, { kind: "export", builderId: "packer.docker", path: "" }));
    assert.deepEqual(secrets, ["tpl-secret"]);
    assert.equal(ui.lines.length, 0);
  });

  it("sends the template's credentials for login_server", async () => {
    const engine = new ScriptedEngine(succeeding());
    const { ctx, ui } = fakeContext(engine.asEngine(), ENV);
    const pp = createDockerPush(
      pushConfig({
        login: true,
        login_server: "https://127.0.0.1:5000",
        login_username: "u",
        login_password: "tpl-secret",
      }),
      instant,
    );
    await pp.process(ctx, tagged(["127.0.0.1:5000/app:1"]));
    assert.deepEqual(engine.calls[0]?.auth, {
      username: "u",
      password: "tpl-secret",
      serveraddress: "127.0.0.1:5000",
    });
    assert.ok(
      ui
        .text()
        .includes("Using credentials for 127.0.0.1:5000 from the template's login_username/login_password"),
    );
    assert.ok(!ui.text().includes("tpl-secret"));
  });

  it("seed 000: warns about a login_server that is not the reference's registry, and the denial names both hosts", async () => {
    const engine = new ScriptedEngine(() => ({
      events: [
        { status: "The push refers to repository [127.0.0.1:5001/team/app]" },
        { status: "Preparing", id: "3711bbb7b96b" },
      ],
      error: streamError("push 127.0.0.1:5001/team/app:1: no basic auth credentials"),
    }));
    const { ctx, ui } = fakeContext(engine.asEngine(), ENV);
    let slept = 0;
    const pp = createDockerPush(
      pushConfig({
        login: true,
        login_server: "127.0.0.1:5000",
        login_username: "u",
        login_password: "pw-0000",
      }),
      {
        sleep: async () => {
          slept++;
        },
      },
    );
    const error = await pp.process(ctx, tagged(["127.0.0.1:5001/team/app:1"])).then(
      () => assert.fail("expected a failure"),
      (e: unknown) => e,
    );
    const warning = ui.lines.find((l) => l.text.startsWith("Warning:"));
    assert.ok(warning, "an up-front warning");
    assert.match(warning.text, /127\.0\.0\.1:5001.*login_server is 127\.0\.0\.1:5000/);
    assert.ok(error instanceof PushError);
    assert.equal(error.attempts, 1, "no retry for a permanent failure");
    assert.equal(slept, 0);
    assert.ok(!error.message.includes("\n"), "one line");
    assert.match(error.message, /points to registry 127\.0\.0\.1:5001/);
    assert.match(error.message, /credentials are for 127\.0\.0\.1:5000, not 127\.0\.0\.1:5001/);
    assert.match(
      error.message,
      /Fix: set "login_server": "127\.0\.0\.1:5001" \(the repository's registry\), or make the repository 127\.0\.0\.1:5000\/team\/app/,
    );
    assert.doesNotMatch(error.message, /[Rr]emove login_server/);
    assert.equal(engine.calls[0]?.auth, undefined, "the template's credentials never go to another registry");
  });

  it("an empty login_server with login = true means Docker Hub, and says so", async () => {
    const engine = new ScriptedEngine(succeeding());
    const { ctx, ui } = fakeContext(engine.asEngine(), ENV);
    await createDockerPush(
      pushConfig({ login: true, login_username: "u", login_password: "pw-0000" }),
      instant,
    ).process(ctx, tagged(["127.0.0.1:5001/app:1"]));
    assert.match(
      ui.text(),
      /login_server is not set, so the login credentials are for docker\.io \(Docker Hub\)/,
    );
    assert.match(ui.text(), /Fix: set "login_server": "127\.0\.0\.1:5001"/);
    assert.doesNotMatch(ui.text(), /[Rr]emove login_server/);
  });

  it("no warning when login_server spells the same registry differently (seed 000's real fix)", async () => {
    const engine = new ScriptedEngine(succeeding());
    const { ctx, ui } = fakeContext(engine.asEngine(), ENV);
    await createDockerPush(
      pushConfig({
        login: true,
        login_server: "https://index.docker.io",
        login_username: "u",
        login_password: "pw-0000",
      }),
      instant,
    ).process(ctx, tagged(["morawskim/node10-google-chrome:latest"]));
    assert.ok(!ui.text().includes("Warning"));
    assert.deepEqual(engine.calls[0], {
      name: "morawskim/node10-google-chrome",
      tag: "latest",
      auth: { username: "u", password: "pw-0000", serveraddress: "https://index.docker.io/v1/" },
    });
  });

  it("retries transient failures, reporting each attempt, then succeeds", async () => {
    let n = 0;
    const engine = new ScriptedEngine(({ name, tag }) => {
      n++;
      if (n <= 2)
        return {
          error: streamError(
            `push ${name}:${tag}: Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused`,
          ),
        };
      return { events: pushEvents(name, tag, digestOf(7)), digest: digestOf(7) };
    });
    const { ctx, ui } = fakeContext(engine.asEngine(), ENV);
    const delays: number[] = [];
    const pp = createDockerPush(pushConfig(), { sleep: async (ms) => void delays.push(ms) });
    const result = await pp.process(ctx, tagged(["127.0.0.1:5000/app:1"]));
    assert.deepEqual(result.artifact.kind === "image" && result.artifact.pushed, [
      { ref: "127.0.0.1:5000/app:1", digest: digestOf(7), bytes: 2048 },
    ]);
    assert.deepEqual(delays, [1000, 2000]);
    assert.deepEqual(
      ui.lines.filter((l) => l.text.startsWith("Push of")).map((l) => l.text),
      [
        "Push of 127.0.0.1:5000/app:1 failed (attempt 1/5): connection refused; retrying in 1s",
        "Push of 127.0.0.1:5000/app:1 failed (attempt 2/5): connection refused; retrying in 2s",
      ],
    );
  });

  it("gives a clear failure after the bounded retries", async () => {
    const engine = new ScriptedEngine(() => ({
      error: streamError("push x: dial tcp 127.0.0.1:5000: connect: connection refused"),
    }));
    const { ctx } = fakeContext(engine.asEngine(), ENV);
    let t = 0;
    const pp = createDockerPush(pushConfig(), {
      sleep: async (ms) => {
        t += ms;
      },
      now: () => t,
    });
    await assert.rejects(pp.process(ctx, tagged(["127.0.0.1:5000/app:1"])), (e: unknown) => {
      assert.ok(e instanceof PushError);
      assert.equal(e.attempts, 5);
      assert.match(
        e.message,
        /^push of 127\.0\.0\.1:5000\/app:1 failed after 5 attempts over 15\.0s: connection refused/,
      );
      assert.match(e.message, /check that 127\.0\.0\.1:5000 is running and reachable/);
      return true;
    });
    assert.equal(engine.calls.length, 5);
  });

  it("explains a rejected password from the Docker config without retrying", async () => {
    const engine = new ScriptedEngine(() => ({
      error: streamError("push r:1: unauthorized: authentication required"),
    }));
    const { ctx } = fakeContext(engine.asEngine(), ENV);
    await assert.rejects(
      createDockerPush(
        pushConfig({
          login: true,
          login_server: "127.0.0.1:5000",
          login_username: "u",
          login_password: "wrong-pass",
        }),
        instant,
      ).process(ctx, tagged(["127.0.0.1:5000/app:1"])),
      (e: unknown) =>
        e instanceof PushError &&
        /kiln authenticated against 127\.0\.0\.1:5000 with the template's login_username\/login_password\. Fix: check login_username and login_password/.test(
          e.message,
        ) &&
        !e.message.includes("wrong-pass"),
    );
    assert.equal(engine.calls.length, 1);
  });

  it("refuses ECR Public, which kiln does not support yet", async () => {
    const { ctx } = fakeContext(new ScriptedEngine(succeeding()).asEngine(), ENV);
    await assert.rejects(
      createDockerPush(
        pushConfig({ ecr_login: true, login_server: "public.ecr.aws", aws_force_use_public_ecr: true }),
        instant,
      ).process(ctx, tagged(["public.ecr.aws/a/b:1"])),
      /ECR Public/,
    );
  });
});

describe("PushProgressPrinter", () => {
  it("drops byte counters and repeats, and shows a daemon retry countdown once", () => {
    const lines: string[] = [];
    const p = new PushProgressPrinter((l) => lines.push(l));
    for (const e of [
      { status: "The push refers to repository [r/app]" },
      { status: "Preparing", id: "l1" },
      { status: "Preparing", id: "l2" },
      { status: "Waiting", id: "l2" },
      { status: "Pushing", id: "l1", progress: "[=>  ]", progressDetail: { current: 1, total: 9 } },
      { status: "Retrying in 5 seconds", id: "l1" },
      { status: "Retrying in 4 seconds", id: "l1" },
      { status: "Retrying in 3 seconds", id: "l1" },
      { status: "Pushing", id: "l1", progress: "[===>]" },
      { status: "Pushed", id: "l1" },
      { status: "Layer already exists", id: "l2" },
      { status: "1: digest: sha256:00 size: 528" },
      { progressDetail: {}, aux: { Tag: "1", Digest: "sha256:00", Size: 528 } },
    ]) {
      p.event(e);
    }
    assert.deepEqual(lines, [
      "The push refers to repository [r/app]",
      "l1: Preparing",
      "l2: Preparing",
      "l2: Waiting",
      "l1: Retrying in 5 seconds",
      "l1: Pushed",
      "l2: Layer already exists",
      "1: digest: sha256:00 size: 528",
    ]);
  });
});

describe("docker-push with ecr_login", () => {
  it("fetches a token for login_server and sends it only there", async () => {
    const engine = new ScriptedEngine(succeeding());
    const { ctx, ui, secrets } = fakeContext(engine.asEngine(), ENV);
    const server = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com";
    class ECRClient {
      async send(): Promise<unknown> {
        return {
          authorizationData: [{ authorizationToken: Buffer.from("AWS:ecr-token-pass").toString("base64") }],
        };
      }
      destroy(): void {}
    }
    class GetAuthorizationTokenCommand {}
    const pp = createDockerPush(
      pushConfig({
        ecr_login: true,
        login_server: server,
        aws_access_key: "AKIA0000",
        aws_secret_key: "aws-secret",
      }),
      {
        ...instant,
        loadEcrSdk: async () => ({ ECRClient, GetAuthorizationTokenCommand }) as never,
      },
    );
    await pp.process(ctx, tagged([`${server}/a-know-server-container:0.0.1`]));
    assert.deepEqual(engine.calls[0]?.auth, {
      username: "AWS",
      password: "ecr-token-pass",
      serveraddress: server,
    });
    assert.ok(ui.text().includes("Fetching ECR credentials..."));
    assert.ok(ui.text().includes("from an Amazon ECR token"));
    assert.deepEqual(secrets, ["aws-secret", "AKIA0000", "ecr-token-pass"]);
  });
});
