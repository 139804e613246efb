// `kiln plan TEMPLATE|CHAIN`: what the next `kiln build` (or `kiln chain`) with the same flags will
// rebuild, and why, without building. Read-only on the engine (image inspect, cache lookups,
// registry digests); nothing is created, pulled, tagged or locked. docs/cache.md ("Planning")
// documents the output and the -json shape.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { defaultRegistry } from "../../components/registry.js";
import { connectEngine, type EngineSession } from "../../engine/connect.js";
import { EngineError } from "../../engine/errors.js";
import type { EngineHost } from "../../engine/host.js";
import { LocalIndex } from "../../cache/local-index.js";
import { StepCache } from "../../cache/step-cache.js";
import type { CacheOptions } from "../../run/run-env.js";
import { planBuilds } from "../../plan/select-builds.js";
import { planBuild, type BuildPlan, type PlanDeps } from "../../run/plan-build.js";
import { plannedSettings } from "../../builders/docker/planned-settings.js";
import { formatPlan, PLAN_JSON_VERSION } from "../../run/plan-text.js";
import { toolVersions } from "../../run/step-inputs.js";
import { stateDir } from "../../run/journal.js";
import { formatDiagnostic } from "../../template/diagnostic.js";
import { SecretMasker } from "../../ui/mask.js";
import { addCacheOptions, cacheOptionsFrom, type CacheFlags } from "../cache-options.js";
import { addTemplateOptions, loadChecked, maskedStderr, reportError } from "../load.js";
import { engineHostOrSay } from "../run-setup.js";
import { formatChainPlan, loadChainForPlan, planChainNodes, type LoadedChain } from "./plan-chain.js";

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
      "Say what `kiln build` (or `kiln chain`) will rebuild, and why, without building: per build or node, per step, cached (with its age) or runs, and why the first step that runs does. Read-only on the engine. Exit 0; 2 for invalid input; 3 when the engine cannot be reached (the plan then says what it cannot know).",
    );
  addTemplateOptions(cmd, "plan").option(
    "--json",
    "one JSON document on stdout (shape: docs/cache.md) (default: text)",
  );
  addCacheOptions(cmd).action(async (template: string, flags: PlanFlags) => {
    setExit(await plan(template, flags));
  });
}

/** A JSON file whose top level has `images` (IMAGES.json) or `nodes` (native) is a chain. */
export function isChainFile(path: string): boolean {
  try {
    const root = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return root !== null && typeof root === "object" && ("images" in root || "nodes" in root);
  } catch {
    return false;
  }
}

async function plan(path: string, flags: PlanFlags): Promise<number> {
  const host = engineHostOrSay(process.env, (s) => process.stderr.write(s + "\n"));
  if (host === undefined) return 2;
  const masker = new SecretMasker();
  const err = maskedStderr(masker);
  const stateDirectory = stateDir(process.env);
  const cwd = process.cwd();
  const chain = isChainFile(resolve(cwd, path));
  let loaded:
    | { chain: LoadedChain; template?: undefined }
    | { chain?: undefined; template: Awaited<ReturnType<typeof loadTemplateForPlan>> };
  let cacheOptions: CacheOptions | undefined;
  let sensitive: string[] = [];
  try {
    loaded = chain
      ? { chain: await loadChainForPlan(resolve(cwd, path), flags.only ?? [], err) }
      : { template: await loadTemplateForPlan(path, flags, masker, err) };
    sensitive = loaded.chain
      ? loaded.chain.plan.nodes.flatMap((n) => n.template?.sensitiveValues ?? [])
      : loaded.template.template.sensitiveValues;
    for (const s of sensitive) masker.add(s);
    cacheOptions = cacheOptionsFrom(flags, {
      stateDir: stateDirectory,
      env: process.env,
      template: path,
      cwd,
      secrets: () => sensitive,
      addSecret: (v) => void masker.add(v),
    });
  } catch (e) {
    return reportError(e, err);
  }

  const { session, unreachable } = await connect(host);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const engine = session?.engine;
    // -no-cache: nothing is looked up (the plan says every step runs); the settings are unused.
    const settings = cacheOptions?.settings ?? { maxAgeMs: 0, stateDir: stateDirectory, from: [] };
    const registries = cacheOptions?.registries ?? { auth: () => Promise.resolve(undefined) };
    const base: Omit<PlanDeps, "template" | "templateFile" | "cwd"> = {
      engine,
      ...(unreachable ? { unreachable } : {}),
      noCache: cacheOptions === undefined,
      cache: engine ? new StepCache(engine, settings, registries) : undefined,
      index: new LocalIndex(stateDirectory),
      registry: defaultRegistry(),
      hostEnv: process.env,
      noCacheSteps: flags.noCacheStep ?? [],
      secrets: sensitive,
      toolVersion: toolVersions(process.env),
      signal: abort.signal,
      containerSettings: (build, image, ctx) => plannedSettings(build.builder, image, ctx),
    };
    const engineInfo = session
      ? { reachable: true, endpoint: session.engine.endpoint }
      : { reachable: false, error: unreachable ?? "" };
    let text: string;
    let doc: object;
    if (loaded.chain) {
      const nodes = await planChainNodes(loaded.chain, base);
      doc = { version: PLAN_JSON_VERSION, chain: path, engine: engineInfo, nodes };
      text = formatChainPlan(nodes);
    } else {
      const { template, builds: selected } = loaded.template;
      const builds: BuildPlan[] = [];
      for (const build of selected) {
        builds.push(await planBuild(build, { ...base, template, templateFile: resolve(cwd, path), cwd }));
      }
      doc = { version: PLAN_JSON_VERSION, template: path, engine: engineInfo, builds };
      text = formatPlan(builds);
    }
    if (flags.json) {
      process.stdout.write(masker.mask(JSON.stringify(doc, null, 2)) + "\n");
    } else {
      if (unreachable) err(`Cannot reach the Docker engine at ${unreachable}`);
      process.stdout.write(masker.mask(text));
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

async function loadTemplateForPlan(
  path: string,
  flags: PlanFlags,
  masker: SecretMasker,
  err: (s: string) => void,
) {
  const template = await loadChecked(path, flags, masker);
  const selection = planBuilds(template, flags.only ?? [], flags.except ?? []);
  for (const w of [...template.warnings, ...selection.warnings]) err(formatDiagnostic(w));
  return { template, builds: selection.builds };
}

async function connect(host: EngineHost): Promise<{ session?: EngineSession; unreachable?: string }> {
  try {
    return { session: await connectEngine(host, { env: process.env }) };
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    return { unreachable: `${host.description}: ${e.message}` };
  }
}
