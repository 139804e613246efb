// Runs one build: the docker builder with its provisioners, cleanup in reverse order, then the
// post-processor sequences. Returns an outcome; never throws for a build failure.
import type { Engine, RegistryAuth } from "../engine/types.js";
import type { BuildDef, Template } from "../template/types.js";
import type { Ui, BuildUi } from "../ui/ui.js";
import type { Artifact } from "./artifact.js";
import { CleanupStack } from "./cleanup-stack.js";
import { initialBuildData, substituteBuildData } from "./build-data.js";
import { runProvisioner } from "./provision.js";
import { runPostProcessors } from "./post-process.js";
import { debugDetail, errorMessage } from "./errors.js";
import { EngineError } from "../engine/errors.js";
import type { RunIdentity } from "./ownership.js";
import type {
  ComponentContext,
  PostProcessorFactory,
  ProvisionContext,
  ProvisionerFactory,
  BuildData,
  PathTracker,
} from "./types.js";
import { runDockerBuild } from "../builders/docker/builder.js";
import { markKept } from "./reconcile.js";

export type OnError = "cleanup" | "abort" | "ask" | "run-cleanup-provisioner";

export interface RunEnv {
  engine: Engine;
  ui: Ui;
  identity: RunIdentity;
  signal: AbortSignal;
  onError: OnError;
  provisioners: Record<string, ProvisionerFactory>;
  postProcessors: Record<string, PostProcessorFactory>;
  /** Live cleanup stacks, so a forced exit can say what was left. */
  activeCleanups: Set<CleanupStack>;
  pullAuth?: (build: BuildDef, image: string, ui: BuildUi) => Promise<RegistryAuth | undefined>;
  /** The run's journal of host paths (see journal.ts). */
  track?: PathTracker;
  /** -debug: pause before each provisioner (on a terminal). */
  debug?: boolean;
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

export interface BuildOutcome {
  name: string;
  artifacts: Artifact[];
  error?: string;
  elapsedMs: number;
  cancelled: boolean;
}

export async function runBuild(build: BuildDef, template: Template, env: RunEnv): Promise<BuildOutcome> {
  const started = performance.now();
  const ui = env.ui.forBuild(build.name);
  const cleanup = new CleanupStack();
  env.activeCleanups.add(cleanup);
  const buildData: BuildData = initialBuildData();
  const render = (text: string, data: Record<string, string> = {}) =>
    substituteBuildData(
      template.renderLate(text, { name: build.sourceName, type: build.type }, data),
      buildData,
    );
  const outcome = (artifacts: Artifact[], error?: string): BuildOutcome => ({
    name: build.name,
    artifacts,
    error,
    elapsedMs: performance.now() - started,
    cancelled: env.signal.aborted,
  });
  const componentContext = (tempDir: string): ComponentContext => ({
    ui,
    buildName: build.name,
    sourceName: build.sourceName,
    builderType: build.type,
    buildData,
    templateDir: template.dir,
    templateFormat: template.format,
    render,
    signal: env.signal,
    tempDir,
    addSecret: (v) => env.ui.addSecret(v),
    hostEnv: process.env,
    track: env.track,
  });
  let keepContainer = false;
  let phase = "the docker builder";
  let builderArtifact: Artifact;
  try {
    const result = await runDockerBuild(build, {
      engine: env.engine,
      ui,
      identity: env.identity,
      cleanup,
      signal: env.signal,
      buildData,
      render,
      templateFormat: template.format,
      track: env.track,
      pullAuth: env.pullAuth ? (image) => env.pullAuth!(build, image, ui) : undefined,
      provision: async (comm, tempDir) => {
        const ctx: ProvisionContext = { ...componentContext(tempDir), comm };
        for (const [i, def] of build.provisioners.entries()) {
          phase = `provisioner ${i + 1} (${def.type})`;
          await debugPause(env, ui, "before the next provisioner");
          for (;;) {
            try {
              await runProvisioner(def, i, ctx, env.provisioners);
              break;
            } catch (e) {
              if (env.signal.aborted) throw e;
              const decision = await decideOnError(env, ui);
              if (decision === "retry") continue;
              if (decision === "abort") {
                keepContainer = true;
                throw e;
              }
              // Packer says this whether or not there is a cleanup provisioner.
              ui.say("Provisioning step had errors: Running the cleanup provisioner, if present...");
              if (build.errorCleanupProvisioner) {
                await runProvisioner(build.errorCleanupProvisioner, -1, ctx, env.provisioners).catch((ce) =>
                  ui.error(`The error-cleanup-provisioner failed too: ${errorMessage(ce)}`),
                );
              }
              if (decision === "run-cleanup-provisioner") keepContainer = true;
              throw e;
            }
          }
        }
        phase = "the docker builder";
      },
    });
    builderArtifact = result.artifact;
  } catch (e) {
    const message = env.signal.aborted ? "Build was cancelled" : failureMessage(e, env.engine, phase);
    if (env.debug && !env.signal.aborted) ui.error(debugDetail(e));
    if (keepContainer && !env.signal.aborted && buildData.ID) {
      const id = buildData.ID;
      cleanup.release(`remove container ${id}`);
      ui.error(`Step failed with -on-error=${env.onError}: the container is kept running for inspection.`);
      ui.error(`  enter it:   docker exec -it ${id.slice(0, 12)} /bin/sh`);
      ui.error(`  remove it:  docker rm -f ${id.slice(0, 12)}   (or: kiln prune)`);
      await markKept(env.engine, id).then(
        () =>
          ui.error(
            "It stays until you remove it: later kiln builds leave it alone, `kiln prune` removes it.",
          ),
        (e) =>
          ui.error(
            `Could not mark the container as kept (${errorMessage(e)}): a later kiln build may remove it.`,
          ),
      );
    }
    await runCleanup(cleanup, ui);
    env.activeCleanups.delete(cleanup);
    return outcome([], message);
  }
  await runCleanup(cleanup, ui);
  env.activeCleanups.delete(cleanup);
  if (env.signal.aborted) return outcome([], "Build was cancelled");

  try {
    const chain = await runPostProcessors(
      build.postProcessors,
      builderArtifact,
      { ...componentContext(""), engine: env.engine },
      env.postProcessors,
    );
    if (env.debug) for (const f of chain.failures) ui.error(debugDetail(f));
    if (chain.errors.length > 0) {
      return outcome(
        [],
        chain.errors.length === 1
          ? chain.errors[0]
          : `${chain.errors.length} error(s) occurred:\n\n${chain.errors.map((x) => `* ${x}`).join("\n")}`,
      );
    }
    return outcome(chain.artifacts);
  } catch (e) {
    if (env.debug && !env.signal.aborted) ui.error(debugDetail(e));
    return outcome([], env.signal.aborted ? "Build was cancelled" : errorMessage(e));
  }
}

/**
 * A lost engine reads, from below, like any failed request ("connection refused" from a step
 * that has nothing to do with connections): say what happened, where, and what becomes of the
 * build's container.
 */
function failureMessage(e: unknown, engine: Engine, phase: string): string {
  const message = errorMessage(e);
  for (let cause: unknown = e; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof EngineError && cause.kind === "unreachable") {
      return `Lost the connection to the Docker engine at ${engine.endpoint} during ${phase}: ${message}\nWhat this build left in the engine is removed by the next kiln run (or \`kiln prune\`) once the engine is back.`;
    }
  }
  return message;
}

async function runCleanup(cleanup: CleanupStack, ui: BuildUi): Promise<void> {
  const failures = await cleanup.runAll();
  for (const f of failures) ui.error(`Cleanup failed: ${f.description}: ${errorMessage(f.error)}`);
}

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
