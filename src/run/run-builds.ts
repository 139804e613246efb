// Runs the selected builds (in parallel up to -parallel-builds). The run's start and end are
// events too: the renderers print Packer's colour announcement and end-of-run summary from them.
import type { Template, BuildDef } from "../template/types.js";
import { runBuild, type BuildOutcome } from "./run-build.js";
import type { RunEnv } from "./run-env.js";

export interface RunInfo {
  runId: string;
  kilnVersion: string;
  command: string[];
}

export async function runBuilds(
  builds: BuildDef[],
  template: Template,
  env: RunEnv,
  parallel: number,
  info: RunInfo = { runId: env.identity.runId, kilnVersion: "", command: [] },
): Promise<BuildOutcome[]> {
  const { events } = env;
  const started = events.elapsed();
  events.emit({
    kind: "run-started",
    runId: info.runId,
    startedAt: new Date(Date.now() - started).toISOString(),
    kilnVersion: info.kilnVersion,
    command: info.command,
    builds: builds.map((b) => b.name),
  });
  const outcomes: BuildOutcome[] = new Array<BuildOutcome>(builds.length);
  let next = 0;
  const limit = parallel <= 0 ? builds.length : Math.min(parallel, builds.length);
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= builds.length) return;
      const build = builds[i]!;
      if (env.signal.aborted) {
        outcomes[i] = cancelledBefore(build, env);
        continue;
      }
      outcomes[i] = await runBuild(build, template, env);
    }
  };
  await Promise.all(Array.from({ length: Math.max(limit, 1) }, worker));
  events.emit({
    kind: "run-finished",
    durationMs: events.elapsed() - started,
    cancelled: env.signal.aborted,
    failed: outcomes.filter((o) => o.error).length,
    succeeded: outcomes.filter((o) => !o.error).length,
  });
  return outcomes;
}

/** A build that never started because the run was cancelled first. */
function cancelledBefore(build: BuildDef, env: RunEnv): BuildOutcome {
  const failure = { phase: "prepare" as const, message: "Build was cancelled", causes: [], cancelled: true };
  env.events.emit({
    kind: "build-finished",
    build: build.name,
    status: "cancelled",
    durationMs: 0,
    artifacts: [],
    failure,
  });
  return { name: build.name, artifacts: [], error: failure.message, failure, elapsedMs: 0, cancelled: true };
}
