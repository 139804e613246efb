// `kiln plan TEMPLATE`: what the next `kiln build` with the same flags will rebuild, and why,
// without building. Read-only on the engine (image inspect, cache lookups, registry digests);
// nothing is created, pulled, tagged or locked. docs/cache.md ("Planning") documents the output
// and the -json shape.
import type { Command } from "commander";
import { resolve } from "node:path";
import { defaultRegistry } from "../../components/registry.js";
import { connectEngine, type EngineSession } from "../../engine/connect.js";
import { EngineError } from "../../engine/errors.js";
import { LocalIndex } from "../../cache/local-index.js";
import { StepCache } from "../../cache/step-cache.js";
import { planBuilds } from "../../plan/select-builds.js";
import { planBuild, type BuildPlan } from "../../plan/cache-plan.js";
import { formatPlan, PLAN_JSON_VERSION } from "../../plan/plan-text.js";
import { toolVersions } from "../../run/step-inputs.js";
import { stateDir } from "../../run/journal.js";
import { formatDiagnostic } from "../../template/diagnostic.js";
import { SecretMasker } from "../../ui/mask.js";
import { addCacheOptions, cacheOptionsFrom, type CacheFlags } from "../cache-options.js";
import { addTemplateOptions, loadChecked, maskedStderr, reportError } from "../load.js";
import { engineHostOrSay } from "../run-setup.js";

interface PlanFlags extends CacheFlags {
  var?: string[];
  varFile?: string[];
  only?: string[];
  except?: string[];
  json?: boolean;
}

/** Exit code when the engine cannot be reached: the plan printed says what is not known. */
export const PLAN_NO_ENGINE_EXIT = 3;

export function registerPlan(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command("plan")
    .description(
      "Say what `kiln build` will rebuild, and why, without building: per build, per step, cached (with its age) or runs, and why the first step that runs does. Read-only on the engine. Exit 0; 2 for invalid input; 3 when the engine cannot be reached (the plan then says what it cannot know).",
    );
  addTemplateOptions(cmd, "plan").option("--json", "one JSON document on stdout (shape: docs/cache.md)");
  addCacheOptions(cmd).action(async (template: string, flags: PlanFlags) => {
    setExit(await plan(template, flags));
  });
}

async function plan(templatePath: string, flags: PlanFlags): Promise<number> {
  const host = engineHostOrSay(process.env, (s) => process.stderr.write(s + "\n"));
  if (host === undefined) return 2;
  const masker = new SecretMasker();
  const err = maskedStderr(masker);
  let template;
  let selection;
  let cacheOptions;
  const stateDirectory = stateDir(process.env);
  try {
    template = await loadChecked(templatePath, flags, masker);
    selection = planBuilds(template, flags.only ?? [], flags.except ?? []);
    const sensitive = template.sensitiveValues;
    cacheOptions = cacheOptionsFrom(flags, {
      stateDir: stateDirectory,
      env: process.env,
      template: templatePath,
      cwd: process.cwd(),
      secrets: () => sensitive,
      addSecret: (v) => void masker.add(v),
    });
  } catch (e) {
    return reportError(e, err);
  }
  for (const w of [...template.warnings, ...selection.warnings]) err(formatDiagnostic(w));

  let session: EngineSession | undefined;
  let unreachable: string | undefined;
  try {
    session = await connectEngine(host, { env: process.env });
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    unreachable = `${host.description}: ${e.message}`;
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const engine = session?.engine;
    // -no-cache: the cache settings are still needed to look nothing up; the plan says every step runs.
    const settings = cacheOptions?.settings ?? { maxAgeMs: 0, stateDir: stateDirectory, from: [] };
    const registries = cacheOptions?.registries ?? { auth: () => Promise.resolve(undefined) };
    const cache = engine ? new StepCache(engine, settings, registries) : undefined;
    const tools = toolVersions(process.env);
    const builds: BuildPlan[] = [];
    for (const build of selection.builds) {
      builds.push(
        await planBuild(build, {
          engine,
          ...(unreachable ? { unreachable } : {}),
          noCache: cacheOptions === undefined,
          cache,
          index: new LocalIndex(stateDirectory),
          template,
          templateFile: resolve(process.cwd(), templatePath),
          registry: defaultRegistry(),
          cwd: process.cwd(),
          hostEnv: process.env,
          noCacheSteps: flags.noCacheStep ?? [],
          secrets: template.sensitiveValues,
          toolVersion: tools,
          signal: abort.signal,
        }),
      );
    }
    const engineInfo = session
      ? { reachable: true, endpoint: session.engine.endpoint }
      : { reachable: false, error: unreachable ?? "" };
    if (flags.json) {
      const doc = { version: PLAN_JSON_VERSION, template: templatePath, engine: engineInfo, builds };
      process.stdout.write(masker.mask(JSON.stringify(doc, null, 2)) + "\n");
    } else {
      if (unreachable) err(`Cannot reach the Docker engine at ${unreachable}`);
      process.stdout.write(masker.mask(formatPlan(builds)));
    }
    return unreachable ? PLAN_NO_ENGINE_EXIT : 0;
  } catch (e) {
    return reportError(e, err);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await session?.close();
  }
}
