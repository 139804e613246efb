// Runs one build: the builder's steps with the provisioners run through its session, cleanup in
// reverse order, then the post-processor sequences. Every step is observed as run events.
// Returns an outcome; never throws for a build failure.
import type { BuildDef, Template } from "../template/types.js";
import type { BuildUi } from "../ui/ui.js";
import type { Artifact } from "../core/artifact.js";
import type { BuilderContext } from "../core/builder.js";
import { CleanupStack } from "../core/cleanup-stack.js";
import { initialBuildData, type BuildData } from "../core/build-data.js";
import { lateRender } from "./late-render.js";
import type { ComponentContext } from "../core/component.js";
import { debugDetail, errorMessage, type BuildFailure } from "../core/errors.js";
import { markKept } from "./reconcile.js";
import { EngineError } from "../engine/errors.js";
import type { Engine } from "../engine/types.js";
import { eventBuildUi } from "../ui/event-ui.js";
import { runPostProcessors } from "./post-process.js";
import { provisionAll, type ProvisionResult } from "./provision-steps.js";
import { componentReporter } from "./component-reporter.js";
import { failureOf, observeBuild } from "./observe.js";
import type { RunEnv } from "./run-env.js";
import { StepCache } from "../cache/step-cache.js";
import { streamedImportFor, type StreamedImport } from "./streamed-import.js";

export interface BuildOutcome {
  name: string;
  artifacts: Artifact[];
  /** The failure's message (Packer's `--> name: …` line); undefined on success. */
  error?: string;
  failure?: BuildFailure;
  elapsedMs: number;
  cancelled: boolean;
}

export async function runBuild(build: BuildDef, template: Template, env: RunEnv): Promise<BuildOutcome> {
  const held: { streamed?: StreamedImport } = {};
  try {
    return await runBuildSteps(build, template, env, held);
  } finally {
    // An import streamed from the export that docker-import did not claim (the build failed,
    // was cancelled, or docker-import imported the file instead) is removed.
    await held.streamed?.dispose();
  }
}

async function runBuildSteps(
  build: BuildDef,
  template: Template,
  env: RunEnv,
  held: { streamed?: StreamedImport },
): Promise<BuildOutcome> {
  const { events } = env;
  const started = events.elapsed();
  const engine = env.engineFor(build);
  const ui = eventBuildUi(events, env.ui, build.name);
  events.emit({ kind: "build-started", build: build.name, steps: build.provisioners.length });
  const cleanup = new CleanupStack();
  env.activeCleanups.add(cleanup);
  const buildData: BuildData = initialBuildData();
  const render = lateRender(template, build, buildData);
  const { observe, failedStep } = observeBuild(events, build.name, env.signal);
  const finish = (artifacts: Artifact[], failure?: BuildFailure): BuildOutcome => {
    const cancelled = env.signal.aborted;
    const outcome: BuildOutcome = {
      name: build.name,
      artifacts,
      ...(failure ? { error: failure.message, failure } : {}),
      elapsedMs: events.elapsed() - started,
      cancelled,
    };
    for (const artifact of artifacts) events.emit({ kind: "artifact", build: build.name, artifact });
    events.emit({
      kind: "build-finished",
      build: build.name,
      status: failure ? (cancelled ? "cancelled" : "failed") : "ok",
      durationMs: outcome.elapsedMs,
      artifacts,
      ...(failure ? { failure } : {}),
    });
    return outcome;
  };
  const context: ComponentContext = {
    ui,
    buildName: build.name,
    sourceName: build.sourceName,
    builderType: build.type,
    buildData,
    templateDir: template.dir,
    templateFormat: template.format,
    cwd: env.cwd,
    render,
    signal: env.signal,
    tempDir: "",
    addSecret: (v) => env.ui.addSecret(v),
    hostEnv: env.hostEnv,
    track: env.track,
    report: componentReporter(events, build.name, (t) => env.ui.mask(t)),
  };
  const builder = env.registry.builders[build.type];
  if (!builder) {
    env.activeCleanups.delete(cleanup);
    return finish(
      [],
      failureOf(undefined, "prepare", undefined, false, `internal: no builder ${build.type}`),
    );
  }
  const cache = env.cacheOptions
    ? new StepCache(engine, env.cacheOptions.settings, env.cacheOptions.registries)
    : undefined;
  const streamed = (held.streamed = streamedImportFor(build, engine, buildData));
  const builderCtx: BuilderContext = {
    engine,
    ui,
    identity: env.identity,
    cleanup,
    signal: env.signal,
    buildData,
    render,
    cwd: env.cwd,
    hostEnv: env.hostEnv,
    track: env.track,
    pullAuth: env.pullAuth ? (image) => env.pullAuth!(build, image, ui) : undefined,
    localImage: env.localImage,
    observe,
    report: context.report,
    lazyContainer: cache !== undefined,
    templateFormat: template.format,
    exportTee: streamed ? (tar, signal) => streamed.consume(tar, signal) : undefined,
    exportFileNeeded: streamed?.fileNeeded ?? true,
  };
  const provisioned: ProvisionResult = { cacheKeys: [] };
  let builderArtifact: Artifact;
  try {
    builderArtifact = await builder.run(build, builderCtx, async (session) => {
      await provisionAll(build, session, context, env, observe, provisioned, cache);
      if (cache?.settings.to && provisioned.cacheKeys.length > 0) {
        ui.say(
          `Pushing ${provisioned.cacheKeys.length} cache entr${provisioned.cacheKeys.length === 1 ? "y" : "ies"} to ${cache.settings.to}`,
        );
        await cache.push(provisioned.cacheKeys, env.signal, (ref) => ui.message(`Pushed ${ref}`));
      }
    });
  } catch (e) {
    const step = failedStep();
    const phase = step?.phase ?? "builder";
    const where = step?.phase === "provision" ? step.name : "the docker builder";
    const message = env.signal.aborted ? "Build was cancelled" : failureMessage(e, engine, where);
    if (env.debug && !env.signal.aborted) ui.error(debugDetail(e));
    if (provisioned.keptContainer && !env.signal.aborted) {
      await keptMessage(ui, env, engine, provisioned.keptContainer);
    }
    await runCleanup(cleanup, ui);
    env.activeCleanups.delete(cleanup);
    return finish([], failureOf(e, phase, step?.name, env.signal.aborted, message));
  }
  await runCleanup(cleanup, ui);
  env.activeCleanups.delete(cleanup);
  if (env.signal.aborted) {
    return finish([], failureOf(undefined, "builder", undefined, true, "Build was cancelled"));
  }

  try {
    const chain = await runPostProcessors(
      build.postProcessors,
      builderArtifact,
      { ...context, engine, force: env.force, streamedImport: streamed, identity: env.identity },
      env.registry,
      observe,
    );
    if (env.debug) for (const f of chain.failures) ui.error(debugDetail(f));
    if (chain.errors.length > 0) {
      const message =
        chain.errors.length === 1
          ? chain.errors[0]!
          : `${chain.errors.length} error(s) occurred:\n\n${chain.errors.map((x) => `* ${x}`).join("\n")}`;
      return finish([], failureOf(undefined, "post-process", failedStep()?.name, false, message));
    }
    return finish(chain.artifacts);
  } catch (e) {
    if (env.debug && !env.signal.aborted) ui.error(debugDetail(e));
    const message = env.signal.aborted ? "Build was cancelled" : errorMessage(e);
    return finish([], failureOf(e, "post-process", failedStep()?.name, env.signal.aborted, message));
  }
}

async function keptMessage(ui: BuildUi, env: RunEnv, engine: Engine, id: string): Promise<void> {
  ui.error(`Step failed with -on-error=${env.onError}: the container is kept running for inspection.`);
  ui.error(`  enter it:   docker exec -it ${id.slice(0, 12)} /bin/sh`);
  ui.error(`  remove it:  docker rm -f ${id.slice(0, 12)}   (or: kiln prune)`);
  // Renamed as kept, so that later runs' leftover checks leave it alone (reconcile.ts).
  await markKept(engine, id).then(
    () =>
      ui.error("It stays until you remove it: later kiln builds leave it alone, `kiln prune` removes it."),
    (e) =>
      ui.error(
        `Could not mark the container as kept (${errorMessage(e)}): a later kiln build may remove it.`,
      ),
  );
}

/**
 * A lost engine reads, from below, like any failed request ("connection refused" from a step
 * that has nothing to do with connections): say what happened, where, and what becomes of the
 * build's container.
 */
function failureMessage(e: unknown, engine: Engine, where: string): string {
  const message = errorMessage(e);
  for (let cause: unknown = e; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof EngineError && cause.kind === "unreachable") {
      return `Lost the connection to the Docker engine at ${engine.endpoint} during ${where}: ${message}\nWhat this build left in the engine is removed by the next kiln run (or \`kiln prune\`) once the engine is back.`;
    }
  }
  return message;
}

async function runCleanup(cleanup: CleanupStack, ui: BuildUi): Promise<void> {
  const failures = await cleanup.runAll();
  for (const f of failures) ui.error(`Cleanup failed: ${f.description}: ${errorMessage(f.error)}`);
}
