// Runs a build's provisioners through the builder's session, each observed as a step, with the
// per-step cache (when the run has one), -debug pauses and Packer's -on-error choices (cleanup,
// abort, ask, run-cleanup-provisioner).
//
// With the cache, each step's key chains on the key before it and on the image it starts from:
// a hit resumes from the entry's image (no container until a step needs one); a step that runs
// is committed as it is and tagged as the entry for its key. A step that cannot be cached runs
// every time; when it changes the container, the steps after it cannot be served from the cache
// either (their parent image is new), so they run without snapshots.
import type { BuildSession, StepObserver } from "../core/builder.js";
import type { ComponentContext, ProvisionContext } from "../core/component.js";
import type { CacheDecision, StepRef } from "../core/events.js";
import { BuildError, errorMessage } from "../core/errors.js";
import type { BuildDef, ProvisionerDef } from "../template/types.js";
import type { BuildUi } from "../ui/ui.js";
import { formatDuration } from "../ui/duration.js";
import { shortKey } from "../cache/key.js";
import { entryComment, parseEntryComment } from "../cache/entry.js";
import { runWithOutputs } from "./step-outputs.js";
import type { StepCache } from "../cache/step-cache.js";
import { runProvisioner } from "./provision.js";
import { toolVersions } from "./step-inputs.js";
import { markedNotCacheable, stepKey } from "./step-key.js";
import type { RunEnv } from "./run-env.js";

export interface ProvisionResult {
  /** The container kept for inspection (-on-error=abort or run-cleanup-provisioner). */
  keptContainer?: string;
  /** Cache keys of this build's steps (entries used or made), in order. */
  cacheKeys: string[];
}

export function provisionerStep(def: ProvisionerDef, index: number): StepRef {
  return { phase: "provision", index, name: `provisioner ${index + 1} (${def.type})`, type: def.type };
}

const age = (ms: number) => formatDuration(BigInt(Math.round(ms)) * 1_000_000n, 1);

/** `-no-cache-step` selectors (kept here for existing importers). */
export { markedNotCacheable };

export async function provisionAll(
  build: BuildDef,
  session: BuildSession,
  context: ComponentContext,
  env: RunEnv,
  observe: StepObserver,
  result: ProvisionResult,
  cache: StepCache | undefined,
): Promise<void> {
  const ui = context.ui;
  const tools = toolVersions(env.hostEnv);
  let parentKey: string | undefined;
  /** Why the remaining steps cannot be served from the cache, once one step ran uncached. */
  let uncachedFrom: string | undefined;
  /** The last step served from the cache: a later step runs in a container resumed from it. */
  let lastHit: StepRef | undefined;
  /** The build's images so far (the base, then each step's): entries are one of them plus a layer. */
  const chain: string[] = [session.imageId];
  if (session.imageId)
    env.events.emit({ kind: "image", build: build.name, role: "base", imageId: session.imageId });

  for (const [i, def] of build.provisioners.entries()) {
    const step = provisionerStep(def, i);
    await observe(step, async () => {
      await debugPause(env, ui, "before the next provisioner");
      const run = () => runWithOnError(build, def, i, step, session, context, env, result, lastHit);
      if (!cache) {
        await run();
        return;
      }

      const parentImage = session.imageId;
      const computed = await stepKey({
        build,
        def,
        index: i,
        registry: env.registry,
        buildData: context.buildData,
        cwd: env.cwd,
        toolVersion: tools,
        noCacheSteps: env.cacheOptions?.noCacheSteps ?? [],
        secrets: env.cacheOptions?.secrets() ?? [],
        parentKey,
        parentImage,
        settings: i === 0 ? session.settings : undefined,
      });
      const { inputs, doc, key } = computed;
      const notCacheable = computed.notCacheable ?? uncachedFrom;
      const decide = (cacheDecision: CacheDecision) =>
        env.events.emit({ kind: "cache", build: build.name, step, cache: cacheDecision });

      if (notCacheable) {
        decide({ decision: "not-cacheable", key, reason: notCacheable });
        ui.say(`${capitalize(step.name)} runs every time: ${notCacheable}`);
        await run();
        if (inputs.changesContainer) {
          uncachedFrom ??= `${step.name} runs every time and changed the container before it`;
        }
        return;
      }

      const release = await cache.lock(key, env.signal);
      try {
        const found = await cache.lookup(key, chain, env.signal);
        if (found.decision === "hit") {
          const savedMs = cache.index.read(key)?.durationMs;
          decide({
            decision: "hit",
            key,
            ageMs: found.ageMs,
            imageId: found.imageId,
            ...(savedMs !== undefined ? { savedMs } : {}),
          });
          const from = found.source === "local" ? "" : `, pulled from ${found.source}`;
          ui.say(`${capitalize(step.name)} is cached: key ${shortKey(key)}, ${age(found.ageMs)} old${from}`);
          const entry = parseEntryComment(found.comment);
          await session.resumeFrom(found.imageId, entry?.scratch ? { scratch: entry.scratch } : {});
          publishOutputs(entry?.outputs, context, step, "from the cache");
          chain.push(found.imageId);
          cache.touch(key);
          parentKey = key;
          lastHit = step;
          result.cacheKeys.push(key);
          return "cached";
        }
        const why =
          found.decision === "expired"
            ? `the cache entry for key ${shortKey(key)} is ${age(found.ageMs)} old, older than -cache-max-age`
            : found.reason;
        decide({
          decision: found.decision,
          key,
          reason: why,
          ...(found.decision === "expired" ? { ageMs: found.ageMs } : {}),
        });
        ui.say(`${capitalize(step.name)} runs: ${why}`);
        const ranFrom = env.events.elapsed();
        const outputs = await run();
        const durationMs = Math.round(env.events.elapsed() - ranFrom);
        if (!inputs.changesContainer) return;
        if (outputs && Object.values(outputs).some((v) => env.ui.mask(v) !== v)) {
          // The comment is image metadata: a secret must not go there, so no entry is made.
          ui.say(`${capitalize(step.name)} is not cached: one of its outputs matches a sensitive value`);
          uncachedFrom ??= `${step.name} was not cached (a sensitive output) and changed the container before it`;
          return;
        }
        // The next step finds the scratch directory in the image; the last step's is the result's.
        const keepScratch = i < build.provisioners.length - 1;
        const comment = entryComment(step.name, key, outputs, keepScratch ? session.scratchDir : undefined);
        const imageId = await snapshot(session, comment, keepScratch, cache, env, ui);
        await cache.save(key, imageId, {
          doc,
          template: env.cacheOptions?.template ?? "",
          build: build.name,
          index: i,
          step: step.name,
          durationMs,
        });
        chain.push(imageId);
        env.events.emit({ kind: "image", build: build.name, step, role: "step", imageId });
        ui.message(`Cached ${step.name} as key ${shortKey(key)}`);
        parentKey = key;
        result.cacheKeys.push(key);
      } finally {
        release();
      }
    });
  }
}

/** Adds a step's outputs to the build data (later steps and post-processors see them) and says so. */
function publishOutputs(
  outputs: Record<string, string> | undefined,
  context: ComponentContext,
  step: StepRef,
  from: string,
): void {
  for (const [name, value] of Object.entries(outputs ?? {})) {
    context.buildData[name] = value;
    context.report?.output?.({ step, name, value, cached: from !== "" });
    const lines = value.split("\n");
    const shown = lines.length > 1 ? `${lines[0]}… (${lines.length} lines)` : value;
    context.ui.say(`Output ${name}=${shown}${from ? ` (${from})` : ""}`);
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Commits the step's container as the cache entry. The engine finishes a commit even if the client
 * goes away, so it is awaited; if the build was cancelled meanwhile, the image is removed: a
 * cancelled step never leaves an entry.
 */
async function snapshot(
  session: BuildSession,
  comment: string,
  keepScratch: boolean,
  cache: StepCache,
  env: RunEnv,
  ui: BuildUi,
): Promise<string> {
  const imageId = await session.snapshot(comment, { keepScratch });
  if (env.signal.aborted) {
    ui.say(`Removing the step image committed after the build was cancelled: ${imageId}`);
    await cache.engine.removeImage(imageId, { force: true });
    throw new BuildError("Build was cancelled");
  }
  return imageId;
}

async function runWithOnError(
  build: BuildDef,
  def: ProvisionerDef,
  i: number,
  step: StepRef,
  session: BuildSession,
  context: ComponentContext,
  env: RunEnv,
  result: ProvisionResult,
  resumedFrom: StepRef | undefined,
): Promise<Record<string, string> | undefined> {
  const ui = context.ui;
  const ctx: ProvisionContext = {
    ...context,
    step,
    tempDir: session.tempDir,
    comm: await session.communicator(),
  };
  for (;;) {
    try {
      const outputs = await runWithOutputs(def.type, step.name, ctx, (c) =>
        runProvisioner(def, i, c, env.registry),
      );
      publishOutputs(outputs, context, step, "");
      return outputs;
    } catch (e) {
      if (env.signal.aborted) throw e;
      const decision = await decideOnError(env, ui);
      if (decision === "retry") continue;
      const failure = resumedFrom ? resumedFailure(e, step, resumedFrom, build.name) : e;
      if (decision === "abort") {
        result.keptContainer = session.keepContainer();
        throw failure;
      }
      // Packer says this whether or not there is a cleanup provisioner.
      ui.say("Provisioning step had errors: Running the cleanup provisioner, if present...");
      if (build.errorCleanupProvisioner) {
        await runProvisioner(build.errorCleanupProvisioner, -1, ctx, env.registry).catch((ce: unknown) =>
          ui.error(`The error-cleanup-provisioner failed too: ${errorMessage(ce)}`),
        );
      }
      if (decision === "run-cleanup-provisioner") result.keptContainer = session.keepContainer();
      throw failure;
    }
  }
}

/** A step that failed in a container resumed from a cached image: say so, and how to avoid it. */
function resumedFailure(e: unknown, step: StepRef, resumedFrom: StepRef, build: string): BuildError {
  return new BuildError(
    `${errorMessage(e)}\n` +
      `This step ran in a container started from the cached image of ${resumedFrom.name}: processes ` +
      `that earlier steps started (daemons, services) are not running after a resume from the cache. ` +
      `To run the whole build without the cache: kiln build -no-cache …; from this step on: ` +
      `-no-cache-step=${build}:${resumedFrom.index + 1}.`,
    { cause: e },
  );
}

/** -debug pauses: wait for Enter on a terminal; otherwise say so once and go on. */
async function debugPause(env: RunEnv, ui: BuildUi, what: string): Promise<void> {
  if (!env.debug) return;
  if (env.ui.interactive && ui.ask) {
    await ui.ask(`Pausing ${what}. Press enter to continue.`);
  } else if (!debugNoted.has(env)) {
    debugNoted.add(env);
    ui.say("-debug: not interactive, so not pausing between steps");
  }
}
const debugNoted = new WeakSet<RunEnv>();

type Decision = "cleanup" | "abort" | "retry" | "run-cleanup-provisioner";

async function decideOnError(env: RunEnv, ui: BuildUi): Promise<Decision> {
  switch (env.onError) {
    case "abort":
      return "abort";
    case "run-cleanup-provisioner":
      return "run-cleanup-provisioner";
    case "cleanup":
      return "cleanup";
    case "ask": {
      const answer =
        env.ui.interactive && ui.ask
          ? await ui.ask(
              "[c] Clean up and exit, [a] abort without cleanup, or [r] retry step (build may fail even if retry succeeds)? ",
            )
          : undefined;
      if (answer === undefined) {
        ui.error(
          "-on-error=ask needs a terminal; not interactive, so cleaning up as -on-error=cleanup would.",
        );
        return "cleanup";
      }
      const a = answer.trim().toLowerCase();
      return a.startsWith("a") ? "abort" : a.startsWith("r") ? "retry" : "cleanup";
    }
  }
}
