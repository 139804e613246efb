// Runs the selected builds (in parallel up to -parallel-builds) and prints Packer's summary.
import type { Template, BuildDef } from "../template/types.js";
import { describeArtifact, artifactId, artifactFiles } from "./artifact.js";
import { runBuild, type BuildOutcome, type RunEnv } from "./run-build.js";
import { formatDuration } from "../ui/duration.js";

const dur = (ms: number) => formatDuration(BigInt(Math.round(ms * 1e6)));

export async function runBuilds(
  builds: BuildDef[],
  template: Template,
  env: RunEnv,
  parallel: number,
): Promise<BuildOutcome[]> {
  const started = performance.now();
  env.ui.announceBuilds?.(builds.map((b) => b.name));
  const outcomes: BuildOutcome[] = new Array(builds.length);
  let next = 0;
  const limit = parallel <= 0 ? builds.length : Math.min(parallel, builds.length);
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= builds.length) return;
      const build = builds[i]!;
      if (env.signal.aborted) {
        outcomes[i] = {
          name: build.name,
          artifacts: [],
          error: "Build was cancelled",
          elapsedMs: 0,
          cancelled: true,
        };
        continue;
      }
      const o = await runBuild(build, template, env);
      outcomes[i] = o;
      const plain = env.ui.forBuild(build.name).unprefixed?.() ?? env.ui;
      if (o.error) plain.error(`Build '${o.name}' errored after ${dur(o.elapsedMs)}: ${o.error}`);
      else plain.say(`Build '${o.name}' finished after ${dur(o.elapsedMs)}.`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(limit, 1) }, worker));
  printSummary(outcomes, env, performance.now() - started);
  return outcomes;
}

function printSummary(outcomes: BuildOutcome[], env: RunEnv, elapsedMs: number): void {
  const { ui } = env;
  ui.say(`\n==> Wait completed after ${dur(elapsedMs)}`);
  const failed = outcomes.filter((o) => o.error);
  if (env.signal.aborted) {
    ui.say("Cleanly cancelled builds after being interrupted.");
    return;
  }
  if (failed.length > 0) {
    ui.machine("", "error-count", String(failed.length));
    ui.error("\n==> Some builds didn't complete successfully and had errors:");
    for (const o of failed) {
      ui.machine(o.name, "error", o.error ?? "");
      ui.error(`--> ${o.name}: ${o.error}`);
    }
  }
  const ok = outcomes.filter((o) => !o.error && o.artifacts.length > 0);
  if (ok.length === 0) {
    ui.say("\n==> Builds finished but no artifacts were created.");
    return;
  }
  ui.say("\n==> Builds finished. The artifacts of successful builds are:");
  for (const o of ok) {
    ui.machine(o.name, "artifact-count", String(o.artifacts.length));
    for (const [i, a] of o.artifacts.entries()) {
      const files = artifactFiles(a);
      ui.machine(o.name, "artifact", String(i), "builder-id", a.builderId);
      ui.machine(o.name, "artifact", String(i), "id", artifactId(a));
      ui.machine(o.name, "artifact", String(i), "string", describeArtifact(a));
      ui.machine(o.name, "artifact", String(i), "files-count", String(files.length));
      for (const [j, f] of files.entries()) ui.machine(o.name, "artifact", String(i), "file", String(j), f);
      ui.machine(o.name, "artifact", String(i), "end");
      ui.say(`--> ${o.name}: ${describeArtifact(a)}`);
    }
  }
}
