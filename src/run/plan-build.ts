// `kiln plan` for one build: what each provisioner step will do on the next `kiln build`, found
// the way the build finds it (run/step-key.ts computes the keys, StepCache.lookup looks them up,
// without pulling) and read-only: nothing is created, pulled, tagged, locked or touched. The first
// step that runs says why, from the difference between its key document and the one recorded
// with its last entry (cache/key-diff.ts).
//
// A step's key chains on the image the step before it made: after a step that runs (and changes
// the container), the keys of the steps after it cannot be known before that image exists; they
// run too, since their parent is new.
import type { BuildData } from "../core/build-data.js";
import type { Engine, ImageInspect } from "../engine/types.js";
import { initialBuildData } from "../core/build-data.js";
import type { ComponentRegistry } from "../core/registry.js";
import type { BuildDef, Template } from "../template/types.js";
import { shortKey } from "../cache/key.js";
import { parseEntryComment } from "../cache/entry.js";
import type { LocalIndex } from "../cache/local-index.js";
import type { StepCache } from "../cache/step-cache.js";
import { formatDuration } from "../ui/duration.js";
import { lateRender } from "./late-render.js";
import { provisionerStep } from "./provision-steps.js";
import { stepKey } from "./step-key.js";
import { describeChange, diffKeyDocuments, type KeyChange } from "../cache/key-diff.js";

/**
 * Why a step runs: `no-entry` (never built, or its entry is gone), `changed` (an input differs
 * from its last entry's), `expired`, `refused` (an entry that is not an image of this build, or a
 * registry that could not be asked), `not-cacheable`, `no-cache` (-no-cache), `after` (a step
 * before it runs), `base-changed` (the pull will bring another base image), `dependency` (in a
 * chain: the node making the base image rebuilds; chain/plan-rebuilds.ts).
 */
export type RunCause =
  | "no-entry"
  | "changed"
  | "expired"
  | "refused"
  | "not-cacheable"
  | "no-cache"
  | "after"
  | "base-changed"
  | "dependency";

export interface StepPlan {
  /** 1-based, as -no-cache-step counts. */
  step: number;
  name: string;
  type: string;
  decision: "cached" | "run" | "unknown";
  cause?: RunCause;
  /** The step's key, when it can be known before the build. */
  key?: string;
  /** A cached (or expired) entry's age. */
  ageMs?: number;
  /** Where a cached entry is: `local`, or the `-cache-from` repository. */
  source?: string;
  reason?: string;
  /** For the first step that runs because its inputs changed: what changed. */
  changes?: KeyChange[];
}

export interface BuildPlan {
  name: string;
  image: string;
  /** The base image's ID in the engine (undefined when it is not there). */
  baseImageId?: string;
  /** Whether any step runs; null when it cannot be known. */
  rebuilds: boolean | null;
  steps: StepPlan[];
  notes: string[];
}

export interface PlanDeps {
  /** undefined when the engine could not be reached (`unreachable` says why). */
  engine: Engine | undefined;
  unreachable?: string;
  /** -no-cache: every step runs. */
  noCache: boolean;
  /** The engine's cache (undefined when the engine could not be reached). */
  cache: StepCache | undefined;
  index: LocalIndex;
  template: Template;
  /** The template file, absolute: the local index's records are per template. */
  templateFile: string;
  registry: ComponentRegistry;
  cwd: string;
  hostEnv: NodeJS.ProcessEnv;
  noCacheSteps: readonly string[];
  secrets: readonly string[];
  toolVersion: (tool: string) => Promise<string>;
  signal: AbortSignal;
  /** In a chain: images built earlier in the run; the build does not pull them (run-chain.ts). */
  localImage?: (image: string) => string | undefined;
  /**
   * The builder's container settings for the first step's key, as its session would have them
   * (the docker builder's planned-settings.ts; given by the CLI: the runner does not import builders).
   */
  containerSettings: (
    build: BuildDef,
    base: ImageInspect,
    ctx: {
      render: (text: string, data?: Record<string, string>) => string;
      hostEnv: NodeJS.ProcessEnv;
      cwd: string;
    },
  ) => { settings: Record<string, unknown>; problems: string[] };
}

const age = (ms: number) => formatDuration(BigInt(Math.round(ms)) * 1_000_000n, 1);

export async function planBuild(build: BuildDef, deps: PlanDeps): Promise<BuildPlan> {
  const image = build.builder.image ?? "";
  const steps = build.provisioners.map((def, i) => {
    const ref = provisionerStep(def, i);
    return { step: i + 1, name: ref.name, type: def.type };
  });
  const plan: BuildPlan = { name: build.name, image, rebuilds: null, steps: [], notes: [] };
  const all = (decision: StepPlan["decision"], fields: Partial<StepPlan>): BuildPlan => {
    plan.steps = steps.map((s) => ({ ...s, decision, ...fields }));
    if (decision === "run") plan.rebuilds = true;
    return plan;
  };
  if (deps.noCache) {
    return all("run", { cause: "no-cache", reason: "-no-cache: every step runs, none is cached" });
  }
  if (!deps.engine || !deps.cache) {
    return all("unknown", {
      reason: `the engine could not be reached (${deps.unreachable ?? "unknown"}): the base image ID and the cache entries are not known`,
    });
  }
  const base = await deps.engine.inspectImage(image);
  if (!base) {
    const how = build.builder.pull
      ? "the build pulls it, and the keys depend on its ID"
      : "the build fails unless it is built or pulled first";
    return all("unknown", { reason: `the base image ${image} is not in the engine: ${how}` });
  }
  plan.baseImageId = base.Id;
  const pulls = build.builder.pull && deps.localImage?.(image) === undefined;
  const newer = pulls ? await registryMoved(deps.engine, image, base.RepoDigests) : undefined;
  if (newer?.moved) {
    plan.baseImageId = base.Id;
    return all("run", {
      cause: "base-changed",
      reason: `pull is true and the registry's ${image} (${newer.digest}) is not the image in the engine (${base.Id.slice(0, 19)}): the pull changes the base image ID`,
    });
  }
  if (newer?.note) plan.notes.push(newer.note);

  const buildData: BuildData = initialBuildData();
  buildData.SourceImageSha256 = base.Id;
  if (base.RepoDigests?.[0]) buildData.SourceImageDigest = base.RepoDigests[0];
  const render = lateRender(deps.template, build, buildData);
  const planned = deps.containerSettings(build, base, { render, hostEnv: deps.hostEnv, cwd: deps.cwd });
  if (planned.problems.length > 0) plan.notes.push(`the build will fail: ${planned.problems.join("; ")}`);

  const cache: StepCache = deps.cache;
  let parentKey: string | undefined;
  let parentImage = base.Id;
  const chain = [base.Id];
  /** Set once the keys of the remaining steps cannot be known: why, and what they are. */
  let unknownFrom: { decision: "run" | "unknown"; reason: string } | undefined;
  /** As the build's: after a step that runs every time and changes the container. */
  let uncachedFrom: string | undefined;
  let explained = false;

  for (const [i, def] of build.provisioners.entries()) {
    const s = steps[i]!;
    const k = await stepKey({
      build,
      def,
      index: i,
      registry: deps.registry,
      buildData,
      cwd: deps.cwd,
      toolVersion: deps.toolVersion,
      noCacheSteps: deps.noCacheSteps,
      secrets: deps.secrets,
      parentKey,
      parentImage,
      settings: i === 0 ? planned.settings : undefined,
    });
    if (unknownFrom) {
      plan.steps.push(
        k.notCacheable
          ? { ...s, decision: "run", cause: "not-cacheable", reason: `runs every time: ${k.notCacheable}` }
          : { ...s, decision: unknownFrom.decision, cause: "after", reason: unknownFrom.reason },
      );
      continue;
    }
    const notCacheable = k.notCacheable ?? uncachedFrom;
    if (notCacheable) {
      plan.steps.push({
        ...s,
        decision: "run",
        cause: "not-cacheable",
        key: k.key,
        reason: `runs every time: ${notCacheable}`,
      });
      if (k.inputs.changesContainer) {
        uncachedFrom ??= `${s.name} runs every time and changed the container before it`;
      }
      continue;
    }
    const found = await cache.lookup(k.key, chain, deps.signal, { pull: false });
    if (found.decision === "hit") {
      plan.steps.push({ ...s, decision: "cached", key: k.key, ageMs: found.ageMs, source: found.source });
      // As the build: a cached step publishes the outputs kept with its entry, which later steps'
      // keys (and so their lookups) may use through {{ build `name` }}.
      Object.assign(buildData, parseEntryComment(found.comment)?.outputs);
      parentKey = k.key;
      if (found.source === "local") {
        parentImage = found.imageId;
        chain.push(found.imageId);
      } else {
        unknownFrom = {
          decision: "unknown",
          reason: `${s.name}'s entry is in ${found.source}: the keys after it depend on its image ID, known once the build pulls it`,
        };
      }
      continue;
    }
    const why =
      found.decision === "expired"
        ? `the cache entry for key ${shortKey(k.key)} is ${age(found.ageMs)} old, older than -cache-max-age`
        : found.reason;
    const step: StepPlan = {
      ...s,
      decision: "run",
      key: k.key,
      ...(found.decision === "expired" ? { ageMs: found.ageMs } : {}),
      cause: found.decision === "expired" ? "expired" : "no-entry",
      reason: why,
    };
    if (found.decision === "miss" && !explained) {
      explained = true;
      const previous = deps.index.latestFor(deps.templateFile, build.name, i);
      if (!/^no cache entry/.test(found.reason)) {
        step.cause = "refused";
      } else if (!previous) {
        step.reason = `no cache entry for key ${shortKey(k.key)}: this step was never cached for this template and build here`;
      } else if (previous.key === k.key) {
        step.reason = `no cache entry for key ${shortKey(k.key)}: its entry (made ${previous.createdAt}) is no longer in the engine (pruned, or removed)`;
      } else {
        const changes = diffKeyDocuments(previous.doc, k.doc);
        step.cause = "changed";
        step.changes = changes;
        step.reason = `its inputs changed since its last entry (key ${shortKey(previous.key)}, made ${previous.createdAt}): ${changes.map(describeChange).join("; ")}`;
      }
    }
    if (found.decision === "expired") explained = true;
    plan.steps.push(step);
    if (k.inputs.changesContainer) {
      unknownFrom = {
        decision: "run",
        reason: `${s.name} runs: the steps after it start from the image it makes, so their keys are new (not knowable before it exists)`,
      };
    }
  }
  plan.rebuilds = plan.steps.some((s) => s.decision === "run")
    ? true
    : plan.steps.some((s) => s.decision === "unknown")
      ? null
      : false;
  return plan;
}

/**
 * With `pull: true` the build pulls the base image first: asks the registry (through the engine,
 * read-only) whether its manifest is still the one the engine's image came from.
 */
async function registryMoved(
  engine: Engine,
  image: string,
  repoDigests: string[] | null,
): Promise<{ moved: boolean; digest?: string; note?: string } | undefined> {
  const digest = await engine.distributionDigest(image).catch((e: unknown) => e);
  if (typeof digest !== "string") {
    const why = digest instanceof Error ? digest.message : "no answer";
    return {
      moved: false,
      note: `pull is true, and the registry could not be asked about ${image} (${why}): if the pull brings another image, every step runs`,
    };
  }
  const moved = !(repoDigests ?? []).some((d) => d.endsWith(`@${digest}`));
  return { moved, digest };
}
