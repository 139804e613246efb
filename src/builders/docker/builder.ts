// The docker builder as a list of typed steps, as Packer's is: temp dir → pull → create → start →
// provision → commit | export | discard. Each step registers the undo of what it acquires on the
// next line; the runner runs the undo stack in reverse on success, failure and cancel.
import type { Builder, BuilderContext, ProvisionHook } from "../../core/builder.js";
import type { Artifact } from "../../core/artifact.js";
import type { BuildDef } from "../../template/types.js";
import type { DockerBuildState, DockerStep } from "./state.js";
import { tempDirStep } from "./steps/temp-dir.js";
import { pullStepOf } from "./steps/pull.js";
import { createStep, startStep } from "./steps/container.js";
import { provisionStep } from "./steps/provision.js";
import { commitStep } from "./steps/commit.js";
import { discardStep, exportStep } from "./steps/export.js";

export function dockerSteps(build: BuildDef, ctx: BuilderContext, provision: ProvisionHook): DockerStep[] {
  const c = build.builder;
  const finish = c.commit ? commitStep(ctx) : c.export_path ? exportStep(ctx) : discardStep();
  return [
    tempDirStep(ctx),
    pullStepOf(ctx),
    createStep(ctx),
    startStep(ctx),
    provisionStep(ctx, provision),
    finish,
  ];
}

/** Runs steps in order, each observed (events, timing) by the runner; stops at the first failure. */
export async function runDockerSteps(
  steps: DockerStep[],
  state: DockerBuildState,
  ctx: BuilderContext,
): Promise<void> {
  for (const [index, step] of steps.entries()) {
    ctx.signal.throwIfAborted();
    // The provision step is observed per provisioner by the runner, not as one step.
    if (step.name === "provision") await step.run(state);
    else await ctx.observe({ phase: "builder", index, name: step.name }, () => step.run(state));
  }
}

export const dockerBuilder: Builder = {
  type: "docker",
  async run(build: BuildDef, ctx: BuilderContext, provision: ProvisionHook): Promise<Artifact> {
    const state: DockerBuildState = { build, config: build.builder };
    await runDockerSteps(dockerSteps(build, ctx, provision), state, ctx);
    if (!state.artifact) throw new Error("internal: the docker builder finished without an artifact");
    return state.artifact;
  },
};
