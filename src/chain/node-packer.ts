// A Packer node: its template built in process by kiln's runner (runBuilds), in the node's working
// directory, on the node's engine, with its events scoped to the node. Base images that this chain
// builds are never pulled. Tags the chain declares for the node are added to its image.
import { causeMessages, errorMessage, type BuildFailure } from "../core/errors.js";
import { InvalidInputError, formatDiagnostic } from "../template/diagnostic.js";
import { selectBuilds } from "../plan/select-builds.js";
import { runBuilds } from "../run/run-builds.js";
import type { RunEnv } from "../run/run-env.js";
import { eventBuildUi } from "../ui/event-ui.js";
import { ImageReference } from "../engine/reference.js";
import type { ChainRunOptions } from "./chain-env.js";
import { imageKey } from "./image-key.js";
import type { PackerSource } from "./model.js";
import { substituteReferences } from "./native-file.js";
import type { NodeContext } from "./node-context.js";
import type { NodeOutcome } from "./node-outcome.js";
import type { PlannedNode } from "./plan.js";

export async function runPackerNode(
  node: PlannedNode,
  ctx: NodeContext,
  opts: ChainRunOptions,
): Promise<NodeOutcome> {
  const source = node.spec.source as PackerSource;
  const { bus, env, signal } = ctx;
  const failed = (message: string, e?: unknown): NodeOutcome => {
    const failure: BuildFailure = {
      phase: "prepare",
      message,
      causes: e ? causeMessages(e) : [],
      cancelled: false,
    };
    bus.emit({ kind: "output", level: "error", text: env.ui.mask(message) });
    return { status: "failed", tags: [], failure };
  };
  let template = node.template!;
  let builds = node.builds!;
  // `${node.X.id}` is known now that X is built: the template is loaded again with it.
  if (node.spec.references.some((r) => r.field === "id")) {
    try {
      template = await env.loadTemplate(source.template, {
        vars: source.vars.map(([k, v]) => [k, substituteReferences(v, (n, f) => ctx.reference(n, f))]),
        varFiles: source.varFiles,
        env: env.hostEnv,
        cwd: node.spec.workingDir,
        startTime: env.startTime,
      });
    } catch (e) {
      if (e instanceof InvalidInputError) return failed(e.diagnostics.map(formatDiagnostic).join("\n"), e);
      return failed(errorMessage(e), e);
    }
    for (const s of template.sensitiveValues) env.ui.addSecret(s);
    builds = selectBuilds(template.builds, source.only, source.except);
  }

  // Whether every provisioner was served from the per-step cache (the cache emits `cached` steps).
  let provisionSteps = 0;
  let cachedSteps = 0;
  const unsubscribe = bus.subscribe((e) => {
    if (e.kind === "step-finished" && e.step.phase === "provision") {
      provisionSteps++;
      if (e.status === "cached") cachedSteps++;
    }
  });
  const runEnv: RunEnv = {
    engineFor: () => ctx.engine,
    ui: env.ui,
    events: bus,
    registry: env.registry,
    identity: env.identity,
    signal,
    onError: "cleanup",
    cwd: node.spec.workingDir,
    hostEnv: env.hostEnv,
    force: false,
    activeCleanups: env.activeCleanups,
    ...(env.track ? { track: env.track } : {}),
    ...(env.pullAuth ? { pullAuth: env.pullAuth } : {}),
    localImage: (image) => ctx.localImage(image),
    // Each node's entries are indexed under its own template (kiln plan reads them per template).
    ...(env.cacheOptions ? { cacheOptions: { ...env.cacheOptions, template: source.template } } : {}),
  };
  let outcomes;
  try {
    outcomes = await runBuilds(builds, template, runEnv, 0, {
      runId: opts.runId,
      kilnVersion: opts.kilnVersion,
      command: opts.command,
    });
  } finally {
    unsubscribe();
  }
  if (signal.aborted) {
    return {
      status: "cancelled",
      tags: [],
      failure: { phase: "builder", message: "Build was cancelled", causes: [], cancelled: true },
    };
  }
  const failure = outcomes.find((o) => o.failure)?.failure;
  if (failure) {
    const names = outcomes.filter((o) => o.error).map((o) => o.name);
    return {
      status: "failed",
      tags: [],
      failure: { ...failure, message: `${names.join(", ")}: ${failure.message}` },
    };
  }
  const images = outcomes.flatMap((o) => o.artifacts).filter((a) => a.kind === "image");
  const imageId = images[0]?.imageId;
  const tags = [...new Set(images.flatMap((a) => a.tags))];
  // Tags the chain declares (IMAGES.json `tag`, native `tags`) that the template did not give.
  const missing = node.spec.tags.filter((t) => !tags.some((x) => imageKey(x) === imageKey(t)));
  if (missing.length > 0) {
    if (imageId === undefined) {
      return failed(
        `${node.spec.name} declares ${missing.join(", ")} but its template produced no image (set "commit": true, or tag with docker-tag)`,
      );
    }
    const ui = eventBuildUi(bus, env.ui, builds[0]?.name ?? "chain");
    for (const t of missing) {
      const ref = ImageReference.parse(t);
      ui.say(`Tagging ${imageId.slice(0, 19)} as ${t} (declared in the chain)`);
      try {
        await ctx.engine.tagImage(imageId, ref.familiarName, ref.tagOrLatest);
      } catch (e) {
        return failed(`Tagging ${t} failed: ${errorMessage(e)}`, e);
      }
      tags.push(t);
    }
  }
  const allCached = provisionSteps > 0 && cachedSteps === provisionSteps;
  return { status: allCached ? "cached" : "built", tags, ...(imageId ? { imageId } : {}) };
}
