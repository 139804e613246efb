// The docker builder's BuildSession against the fake engine: what the per-step cache stands on.
// A snapshot commits the running container and moves the session's image; a resume from another
// image replaces the container; a communicator is created only when a step needs one.
import assert from "node:assert/strict";
import os from "node:os";
import { describe, it } from "node:test";
import { dockerBuilder } from "../../src/builders/docker/builder.js";
import type { BuilderContext, BuildSession } from "../../src/core/builder.js";
import { initialBuildData } from "../../src/core/build-data.js";
import { CleanupStack } from "../../src/core/cleanup-stack.js";
import { currentIdentity } from "../../src/core/ownership.js";
import { FakeEngine } from "../fakes/fake-engine.js";
import { loadInline } from "../fakes/run-harness.js";
import { RecordingUi } from "./push-fakes.js";
import { mkdtempSync } from "node:fs";
import path from "node:path";

const BASE = "local/base:1";

async function withSession(
  builder: Record<string, unknown>,
  hook: (session: BuildSession, engine: FakeEngine) => Promise<void>,
) {
  const engine = new FakeEngine({ images: [{ ref: BASE, config: { Cmd: ["bash"] } }] });
  const dir = mkdtempSync(path.join(os.tmpdir(), "kiln-session-"));
  const template = await loadInline(
    { builders: [{ type: "docker", image: BASE, pull: false, ...builder }] },
    dir,
  );
  const cleanup = new CleanupStack();
  const steps: string[] = [];
  const ctx: BuilderContext = {
    engine,
    ui: new RecordingUi(),
    identity: currentIdentity("fedcba9876543210fedcba9876543210"),
    cleanup,
    signal: new AbortController().signal,
    buildData: initialBuildData(),
    render: (s, data = {}) => template.renderLate(s, { name: "docker", type: "docker" }, data),
    cwd: dir,
    hostEnv: {},
    observe: async (step, fn) => {
      steps.push(step.name);
      await fn();
    },
  };
  const artifact = await dockerBuilder.run(template.builds[0]!, ctx, (session) => hook(session, engine));
  const failures = await cleanup.runAll();
  return { engine, artifact, steps, failures };
}

describe("BuildSession (docker builder)", () => {
  it("starts at the base image with a running container; a snapshot commits it and moves the image", async () => {
    let base = "";
    let snap = "";
    const { engine, artifact } = await withSession({ commit: true }, async (session, eng) => {
      base = session.imageId;
      assert.equal(base, eng.findImage(BASE)!.id);
      assert.ok(session.containerId, "container created before provisioning");
      const comm1 = await session.communicator();
      assert.equal(await session.communicator(), comm1, "the same container while the image stays");
      snap = await session.snapshot("step 1");
      assert.equal(session.imageId, snap);
      assert.equal(eng.images.get(snap)?.comment, "step 1");
      assert.equal(await session.communicator(), comm1, "the container is at the snapshot's image");
    });
    assert.equal(engine.containers.size, 0, "removed by cleanup");
    assert.ok(engine.images.has(snap), "the snapshot belongs to the caller, not removed");
    assert.equal(artifact.kind, "image");
    const committed = engine.images.get(artifact.kind === "image" ? artifact.imageId : "")!;
    assert.deepEqual(committed.config.Cmd, ["bash"], "commit restores the base image's Cmd");
  });

  it("resumeFrom another image removes the container; the next communicator starts one from that image", async () => {
    const { engine, artifact } = await withSession({ commit: true }, async (session, eng) => {
      const first = session.containerId!;
      const other = eng.addImage("local/step:1", { Cmd: ["bash"] });
      await session.resumeFrom(other.id);
      assert.equal(session.containerId, undefined);
      assert.ok(!eng.containers.has(first), "old container removed at once");
      await session.communicator();
      const created = eng.callsOf("createContainer").at(-1)!.args[0] as { Image: string; name: string };
      assert.equal(created.Image, other.id);
      assert.match(created.name, /^kiln_fedcba98_\d+(\.\d+)?_/);
    });
    assert.equal(engine.containers.size, 0);
    const committed = engine.images.get(artifact.kind === "image" ? artifact.imageId : "")!;
    assert.equal(
      committed.parent,
      engine.findImage("local/step:1")!.id,
      "committed on top of the resumed image",
    );
  });

  it("a build resumed to a cached image with no step running commits from a fresh container at it", async () => {
    const { engine, artifact } = await withSession(
      { commit: true, changes: ["ENV A=1"] },
      async (session, eng) => {
        const other = eng.addImage("local/cached:1", { Cmd: ["bash"] });
        await session.resumeFrom(other.id);
      },
    );
    const committed = engine.images.get(artifact.kind === "image" ? artifact.imageId : "")!;
    assert.equal(committed.parent, engine.findImage("local/cached:1")!.id);
    assert.ok(committed.config.Env?.includes("A=1"));
    assert.equal(engine.containers.size, 0);
  });

  it("a snapshot that keeps the scratch directory neither removes nor remakes it; the result's commit does", async () => {
    const execs = (eng: FakeEngine) => eng.callsOf("exec").map((c) => (c.args[1] as string[]).join(" "));
    let kept = "";
    const { engine, artifact } = await withSession({ commit: true }, async (session, eng) => {
      await session.communicator();
      assert.equal(session.scratchDir, "/packer-files", "container_dir made by kiln");
      kept = await session.snapshot("step 1", { keepScratch: true });
      await session.communicator();
      assert.deepEqual(execs(eng), [], "no rm before the snapshot, no mkdir after it");
      await session.snapshot("step 2");
      assert.deepEqual(execs(eng), ["rm -rf -- /packer-files"], "the last step's snapshot drops it");
    });
    assert.ok(engine.images.has(kept));
    assert.equal(artifact.kind, "image");
    assert.deepEqual(execs(engine), ["rm -rf -- /packer-files"], "the result: nothing more to remove");
  });

  it("resumed from an entry that keeps the scratch directory: no mkdir for the next step; removed before the result, even with every step cached", async () => {
    const execs = (eng: FakeEngine) => eng.callsOf("exec").map((c) => (c.args[1] as string[]).join(" "));
    const stepRun = await withSession({ commit: true }, async (session, eng) => {
      const entry = eng.addImage("local/entry:1", { Cmd: ["bash"] });
      await session.resumeFrom(entry.id, { scratch: "/packer-files" });
      await session.communicator();
      assert.equal(session.scratchDir, "/packer-files");
      assert.deepEqual(eng.callsOf("putArchive"), [], "not uploaded again");
      assert.deepEqual(execs(eng), [], "not made again");
    });
    assert.deepEqual(execs(stepRun.engine), ["rm -rf -- /packer-files"], "removed before the commit");

    const allCached = await withSession({ commit: true }, async (session, eng) => {
      const entry = eng.addImage("local/entry:1", { Cmd: ["bash"] });
      await session.resumeFrom(entry.id, { scratch: "/packer-files" });
    });
    assert.deepEqual(
      execs(allCached.engine),
      ["rm -rf -- /packer-files"],
      "a container started to remove it",
    );
    assert.equal(allCached.engine.containers.size, 0);

    const otherDir = await withSession(
      { commit: true, container_dir: "/elsewhere" },
      async (session, eng) => {
        const entry = eng.addImage("local/entry:1", { Cmd: ["bash"] });
        await session.resumeFrom(entry.id, { scratch: "/packer-files" });
      },
    );
    assert.deepEqual(
      execs(otherDir.engine),
      [],
      "a scratch that is not this build's container_dir is ignored",
    );
  });

  it("keepContainer drops the container's removal from the cleanup and returns its ID", async () => {
    let kept: string | undefined;
    const { engine } = await withSession({ discard: true }, async (session) => {
      kept = session.keepContainer();
    });
    assert.ok(kept);
    assert.ok(engine.containers.has(kept), "still there after cleanup");
  });

  it("settings: what shapes the container, without its per-run name", async () => {
    let settings: Readonly<Record<string, unknown>> = {};
    await withSession(
      { commit: true, privileged: true, run_command: ["-d", "-i", "-t", "-e", "A=1", "{{.Image}}"] },
      async (session) => {
        settings = session.settings;
      },
    );
    const spec = settings.spec as { name?: string; Env?: string[]; HostConfig: { Privileged: boolean } };
    assert.equal(spec.name, undefined);
    assert.deepEqual(spec.Env, ["A=1"]);
    assert.equal(spec.HostConfig.Privileged, true);
  });
});
