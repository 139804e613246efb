// The runner and the docker builder's steps against the fake engine: step order and events, the
// cleanup of each step on success, failure and cancel, -on-error=abort, structured failures, and
// paths resolved from the run's working directory.
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { EngineError } from "../../src/engine/errors.js";
import { FakeEngine } from "../fakes/fake-engine.js";
import { runFake, stepTrail } from "../fakes/run-harness.js";

const BASE = "local/base:1";
const engineWithBase = () => new FakeEngine({ images: [{ ref: BASE, config: { Cmd: ["bash"] } }] });

const template = (over: Record<string, unknown> = {}, provisioners: object[] = [], pps: object[] = []) => ({
  builders: [{ type: "docker", image: BASE, pull: false, commit: true, ...over }],
  provisioners,
  "post-processors": pps,
});

const kilnTempDirs = () => new Set(readdirSync(os.tmpdir()).filter((n) => n.startsWith("kiln-01234567-")));

describe("docker builder steps and the runner (fake engine)", () => {
  it("runs temp-dir, pull, create, start, each provisioner, commit, then post-processors, as events", async () => {
    const engine = engineWithBase();
    const before = kilnTempDirs();
    const run = await runFake(
      engine,
      template(
        {},
        [
          { type: "shell", inline: ["echo one"] },
          { type: "shell", inline: ["echo two"] },
        ],
        [{ type: "docker-tag", repository: "local/out", tags: ["1"] }],
      ),
    );
    assert.equal(run.outcomes[0]?.error, undefined, run.output);
    assert.deepEqual(stepTrail(run.events), [
      "started:temp-dir",
      "ok:temp-dir",
      "started:pull",
      "ok:pull",
      "started:create",
      "ok:create",
      "started:start",
      "ok:start",
      "started:provisioner 1 (shell)",
      "ok:provisioner 1 (shell)",
      "started:provisioner 2 (shell)",
      "ok:provisioner 2 (shell)",
      "started:commit",
      "ok:commit",
      "started:docker-tag",
      "ok:docker-tag",
    ]);
    const kinds = run.events.map((e) => e.kind);
    assert.equal(kinds[0], "run-started");
    assert.equal(kinds.at(-1), "run-finished");
    assert.ok(kinds.indexOf("artifact") < kinds.indexOf("build-finished"));
    // Timings are monotonic.
    const ts = run.events.map((e) => e.t);
    assert.deepEqual(
      ts,
      [...ts].sort((a, b) => a - b),
    );
    // The container is gone, the image is tagged, the temp dir is removed.
    assert.equal(engine.containers.size, 0);
    assert.ok(engine.findImage("local/out:1"));
    assert.deepEqual(kilnTempDirs(), before);
    // The human output is Packer's, rendered from the events.
    assert.match(run.output, /==> docker: Starting docker container\.\.\./);
    assert.match(run.output, /\n {4}docker \(docker-tag\): Tagging image: sha256:/);
    assert.match(run.output, /Build 'docker' finished after/);
    assert.match(run.output, /--> docker: Imported Docker image: local\/out:1 with tags local\/out:1/);
  });

  it("docker-tag's deprecated `tag`: the warning offers `kiln fix` for JSON, the rename by hand for HCL2", async () => {
    const json = await runFake(
      engineWithBase(),
      template({}, [], [{ type: "docker-tag", repository: "local/out", tag: "old" }]),
    );
    assert.equal(json.outcomes[0]?.error, undefined, json.output);
    assert.match(
      json.output,
      /"tag" option has been replaced with "tags"\. Please update your configuration \(`kiln fix` does it\)\./,
    );
    const hcl = await runFake(
      engineWithBase(),
      {},
      {
        hcl: [
          'source "docker" "x" {',
          `  image  = "${BASE}"`,
          "  pull   = false",
          "  commit = true",
          "}",
          "build {",
          '  sources = ["source.docker.x"]',
          '  post-processor "docker-tag" {',
          '    repository = "local/out"',
          '    tag        = ["old"]',
          "  }",
          "}",
        ].join("\n"),
      },
    );
    assert.equal(hcl.outcomes[0]?.error, undefined, hcl.output);
    assert.match(hcl.output, /\(rename `tag` to `tags` in the post-processor block\)\./);
    assert.doesNotMatch(hcl.output, /kiln fix/);
  });

  it("a failing provisioner: structured failure (phase, step), container removed, nothing committed", async () => {
    const engine = engineWithBase();
    engine.execHandler = () => ({ exitCode: 3, stderr: "boom\n" });
    const run = await runFake(engine, template({}, [{ type: "shell", inline: ["false"] }]));
    const outcome = run.outcomes[0]!;
    assert.equal(outcome.failure?.phase, "provision");
    assert.equal(outcome.failure?.step, "provisioner 1 (shell)");
    assert.match(outcome.failure?.message ?? "", /non-zero exit status: 3/);
    const finished = run.events.find((e) => e.kind === "build-finished");
    assert.equal(finished?.kind === "build-finished" && finished.status, "failed");
    assert.equal(engine.containers.size, 0);
    assert.equal(engine.callsOf("commitContainer").length, 0);
    assert.match(run.output, /Build 'docker' errored after .*non-zero exit status: 3/);
  });

  it("a failure in each builder step cleans up what the earlier steps acquired", async () => {
    for (const [method, step] of [
      ["createContainer", "create"],
      ["startContainer", "start"],
      ["commitContainer", "commit"],
    ] as const) {
      const engine = engineWithBase();
      engine.failNext(method, new EngineError("server", `${method} exploded`, 500));
      const before = kilnTempDirs();
      const run = await runFake(engine, template());
      const outcome = run.outcomes[0]!;
      assert.equal(outcome.failure?.phase, "builder", method);
      assert.equal(outcome.failure?.step, step, method);
      assert.match(outcome.error ?? "", new RegExp(`${method} exploded`));
      assert.equal(engine.containers.size, 0, `${method}: container left`);
      assert.deepEqual(kilnTempDirs(), before, `${method}: temp dir left`);
    }
  });

  it("a missing base image with pull: false fails in the pull step, before any container", async () => {
    const engine = new FakeEngine();
    const run = await runFake(engine, template());
    assert.equal(run.outcomes[0]?.failure?.step, "pull");
    assert.match(run.outcomes[0]?.error ?? "", /not present in the engine/);
    assert.equal(engine.callsOf("createContainer").length, 0);
  });

  it("-on-error=abort keeps the container and says how to enter and remove it", async () => {
    const engine = engineWithBase();
    engine.execHandler = () => ({ exitCode: 1 });
    const run = await runFake(engine, template({}, [{ type: "shell", inline: ["false"] }]), {
      onError: "abort",
    });
    assert.equal(engine.containers.size, 1, "kept");
    const [kept] = [...engine.containers.values()];
    assert.match(run.output, new RegExp(`remove it: +docker rm -f ${kept!.id.slice(0, 12)}`));
  });

  it("cancel during a provisioner: status cancelled, everything removed, no later step runs", async () => {
    const engine = engineWithBase();
    const controller = new AbortController();
    engine.execHandler = () => {
      controller.abort();
      return { exitCode: 130 };
    };
    const run = await runFake(engine, template({}, [{ type: "shell", inline: ["sleep 9"] }]), {
      signal: controller.signal,
    });
    const outcome = run.outcomes[0]!;
    assert.equal(outcome.cancelled, true);
    assert.equal(outcome.failure?.cancelled, true);
    assert.equal(engine.containers.size, 0);
    assert.equal(engine.callsOf("commitContainer").length, 0);
    assert.ok(!stepTrail(run.events).includes("started:commit"));
  });

  it("export_path and file sources resolve from the run's working directory, not the process's", async () => {
    const engine = engineWithBase();
    const run = await runFake(
      engine,
      {
        builders: [{ type: "docker", image: BASE, pull: false, export_path: "out/image.tar" }],
        provisioners: [{ type: "file", source: "hello.txt", destination: "/tmp/hello.txt" }],
      },
      { files: { "hello.txt": "hi\n" } },
    );
    assert.equal(run.outcomes[0]?.error, undefined, run.output);
    assert.ok(statSync(path.join(run.dir, "out/image.tar")).size > 0);
    assert.ok(!existsSync(path.resolve("out/image.tar")));
    // One upload of the file (the other makes container_dir, at /).
    const uploaded = engine.callsOf("putArchive").filter((c) => c.args[1] !== "/");
    assert.equal(uploaded.length, 1);
    assert.match(run.output, /--> docker: Exported Docker file: out\/image\.tar/);
  });
});
