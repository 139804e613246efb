// Post-processor sequences with a pass-through step (docker-test): it keeps the builder's image,
// adds no artifact, and when it fails nothing after it in its sequence runs.
import assert from "node:assert/strict";
import { it } from "node:test";
import { runPostProcessors } from "../../src/run/post-process.js";
import { initialBuildData } from "../../src/core/build-data.js";
import type { Artifact } from "../../src/core/artifact.js";
import type { PostProcessorContext } from "../../src/core/component.js";
import type { ComponentRegistry } from "../../src/core/registry.js";
import type { PostProcessorDef } from "../../src/template/types.js";

const builderArtifact: Artifact = {
  kind: "image",
  builderId: "packer.docker",
  imageId: "sha256:base",
  id: "sha256:base",
  tags: [],
} as unknown as Artifact;

function setup(testFails: boolean) {
  const calls: string[] = [];
  const removed: string[] = [];
  const registry = {
    builders: {},
    provisioners: {},
    postProcessors: {
      "docker-test": {
        create: () => ({
          process: async (_ctx: unknown, input: Artifact) => {
            calls.push("test");
            if (testFails) throw new Error("exited with code 3");
            return { artifact: input, keep: true, forceKeep: true, passThrough: true };
          },
        }),
      },
      "docker-tag": {
        create: () => ({
          process: async () => {
            calls.push("tag");
            const artifact = {
              ...builderArtifact,
              builderId: "packer.post-processor.docker-tag",
              tags: ["r:1"],
            };
            return { artifact, keep: true, forceKeep: true };
          },
        }),
      },
    },
  } as unknown as ComponentRegistry;
  const ui = { say: () => {}, message: () => {}, error: () => {}, child: () => ui };
  const ctx = {
    ui,
    buildData: initialBuildData(),
    signal: new AbortController().signal,
    cwd: "/",
    engine: { removeImage: async (ref: string) => void removed.push(ref) },
  } as unknown as PostProcessorContext;
  return { calls, removed, registry, ctx };
}

const def = (type: string): PostProcessorDef => ({ type, name: type, named: false, config: {} });

it("a passing test: the tag runs, the builder image is kept, no artifact is listed twice", async () => {
  const { calls, removed, registry, ctx } = setup(false);
  const r = await runPostProcessors(
    [[def("docker-test"), def("docker-tag")], [def("docker-test")]],
    builderArtifact,
    ctx,
    registry,
    (_s, f) => f().then(() => undefined),
  );
  assert.deepEqual(calls, ["test", "tag", "test"]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(removed, [], "the builder image is not destroyed");
  assert.deepEqual(
    r.artifacts.map((a) => a.builderId),
    ["packer.docker", "packer.post-processor.docker-tag"],
  );
});

it("a failing test: nothing after it in the sequence runs", async () => {
  const { calls, registry, ctx } = setup(true);
  const r = await runPostProcessors(
    [[def("docker-test"), def("docker-tag")]],
    builderArtifact,
    ctx,
    registry,
    (_s, f) => f().then(() => undefined),
  );
  assert.deepEqual(calls, ["test"]);
  assert.match(r.errors[0] ?? "", /Post-processor failed: exited with code 3/);
  assert.deepEqual(
    r.artifacts.map((a) => a.builderId),
    ["packer.docker"],
  );
});
