// Post-processor sequences with Packer's keep/destroy rules (reference §b.3): each sequence starts
// from the builder artifact; within a sequence each post-processor gets the previous one's
// artifact; an intermediate artifact is kept or destroyed per keep_input_artifact; the builder
// artifact is kept if some sequence's first post-processor keeps it (or there are none).
import { rm } from "node:fs/promises";
import type { Engine } from "../engine/types.js";
import type { PostProcessorDef } from "../template/types.js";
import type { Artifact } from "../core/artifact.js";
import { resolve } from "node:path";
import type { PostProcessorContext, PostProcessorResult } from "../core/component.js";
import type { StepObserver } from "../core/builder.js";
import type { StepRef } from "../core/events.js";
import type { ComponentRegistry } from "../core/registry.js";
import { resolveBuildData } from "../core/build-data.js";
import { errorMessage } from "../core/errors.js";

export async function destroyArtifact(engine: Engine, a: Artifact, cwd: string): Promise<void> {
  if (a.kind === "export") {
    if (a.path) await rm(resolve(cwd, a.path), { force: true });
  } else if (a.kind === "files") {
    // Packer's artifice artifact: RemoveAll on each file.
    for (const f of a.files) await rm(resolve(cwd, f), { recursive: true, force: true });
  } else if (a.kind === "image") {
    // Untag what this artifact added, then the image itself if nothing else refers to it.
    for (const t of a.tags) await engine.removeImage(t, { noprune: true }).catch(() => undefined);
    if (a.tags.length === 0) await engine.removeImage(a.imageId);
  }
}

export interface ChainResult {
  artifacts: Artifact[];
  errors: string[];
  /** The errors behind `errors`, for -debug's stacks. */
  failures: unknown[];
}

export async function runPostProcessors(
  sequences: PostProcessorDef[][],
  builderArtifact: Artifact,
  ctx: PostProcessorContext,
  registry: ComponentRegistry,
  observe: StepObserver,
): Promise<ChainResult> {
  const artifacts: Artifact[] = [];
  const errors: string[] = [];
  const failures: unknown[] = [];
  let keepOriginal = sequences.length === 0;
  let anyFailed = false;
  for (const [seqIndex, seq] of sequences.entries()) {
    let prior = builderArtifact;
    let completed = true;
    /** Whether a post-processor that makes an artifact has run yet (pass-through ones do not count). */
    let produced = false;
    for (const [i, def] of seq.entries()) {
      ctx.signal.throwIfAborted();
      ctx.ui.say(
        def.named
          ? `Running post-processor: ${def.name} (type ${def.type})`
          : `Running post-processor: ${def.type}`,
      );
      const factory = registry.postProcessors[def.type]?.create;
      if (!factory) throw new Error(`internal: no post-processor implementation for ${def.type}`);
      const step: StepRef = {
        phase: "post-process",
        sequence: seqIndex,
        index: i,
        name: def.name,
        type: def.type,
      };
      const input = prior;
      let result: PostProcessorResult | undefined;
      try {
        await observe(step, async () => {
          // Inside the step: an output no step produced fails this sequence like any error.
          const pp = factory(
            resolveBuildData(def.config, ctx.buildData, `post-processor ${JSON.stringify(def.name)}`),
          );
          result = await pp.process({ ...ctx, step, ui: ctx.ui.child(def.type) }, input);
        });
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        errors.push(`Post-processor failed: ${errorMessage(e)}`);
        failures.push(e);
        completed = false;
        anyFailed = true;
        break;
      }
      if (!result) throw new Error(`internal: post-processor ${def.type} returned no result`);
      if (result.passThrough) {
        // A test keeps what it was given: the builder artifact, when nothing came before it.
        if (!produced) keepOriginal = true;
        continue;
      }
      let keep = result.keep;
      if (
        def.keepInputArtifact !== undefined &&
        !(result.keep && !def.keepInputArtifact && result.forceKeep)
      ) {
        keep = def.keepInputArtifact;
      }
      if (!produced) {
        keepOriginal ||= keep;
      } else if (keep) {
        artifacts.push(prior);
      } else {
        await destroyArtifact(ctx.engine, prior, ctx.cwd).catch((e: unknown) =>
          errors.push(`Failed cleaning up prior artifact: ${errorMessage(e)}`),
        );
      }
      prior = result.artifact;
      produced = true;
    }
    if (completed && produced) artifacts.push(prior);
    else if (completed && seq.length === 0) artifacts.push(prior);
  }
  // Deliberate difference from Packer (docs/compat.md): when a sequence failed, the builder
  // artifact is kept so the user can inspect or retry, instead of being destroyed.
  if (keepOriginal || anyFailed) {
    artifacts.unshift(builderArtifact);
  } else {
    await destroyArtifact(ctx.engine, builderArtifact, ctx.cwd).catch((e: unknown) =>
      errors.push(`Error destroying builder artifact: ${errorMessage(e)}`),
    );
  }
  return { artifacts, errors, failures };
}
