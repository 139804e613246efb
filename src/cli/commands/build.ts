// `kiln build`: what `packer build` does, through the Engine API.
import type { Command } from "commander";
import { Option } from "commander";
import type { Engine } from "../../engine/index.js";
import type { Ui } from "../../ui/ui.js";
import { runBuilds } from "../../run/run-builds.js";
import { defaultRegistry } from "../../components/registry.js";
import { EventBus } from "../../core/events.js";
import type { CacheOptions, OnError } from "../../run/run-env.js";
import { renderEvents } from "../../ui/render-events.js";
import { eventPlainUi } from "../../ui/event-ui.js";
import { kilnVersion } from "../version.js";
import { addCacheOptions, cacheOptionsFrom, type CacheFlags } from "../cache-options.js";
import { planBuilds } from "../../plan/select-builds.js";
import { addTemplateOptions, loadChecked, maskedStderr, reportError } from "../load.js";
import { SecretMasker } from "../../ui/mask.js";
import { formatDiagnostic } from "../../template/diagnostic.js";
import { resolvePullAuth } from "../../builders/docker/pull-auth.js";
import { stateDir } from "../../run/journal.js";
import {
  connectOrSay,
  engineHostOrSay,
  makeRunUi,
  prepareEngines,
  startRun,
  type RunUi,
} from "../run-setup.js";
import { addProgressOptions, progressModeOrSay, type ProgressFlags } from "../progress-options.js";
import {
  addReportOptions,
  finishReport,
  recordReport,
  reportFilesOrSay,
  type ReportFlags,
} from "../report-options.js";

interface BuildFlags extends CacheFlags, ReportFlags, ProgressFlags {
  var?: string[];
  varFile?: string[];
  only?: string[];
  except?: string[];
  force?: boolean;
  onError: OnError;
  color: boolean;
  colorExplicit?: boolean;
  timestampUi?: boolean;
  machineReadable?: boolean;
  parallelBuilds: string;
  debug?: boolean;
}

export function registerBuild(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command("build")
    .description("Build images from a Packer template (JSON, .pkr.hcl file or directory).");
  addTemplateOptions(cmd, "run")
    .option("--force", "accepted for compatibility (the docker builder has nothing to force)")
    .addOption(
      new Option("--on-error <mode>", "what to do when a build fails")
        .choices(["cleanup", "abort", "ask", "run-cleanup-provisioner"])
        .default("cleanup"),
    )
    .option("--color", "force colours on (the default, unless NO_COLOR / PACKER_NO_COLOR)")
    .option("--no-color", "disable colours (also NO_COLOR / PACKER_NO_COLOR)")
    .option("--timestamp-ui", "prefix build output with RFC3339 timestamps")
    .option("--machine-readable", "Packer's machine-readable output")
    .option("--parallel-builds <n>", "how many builds run at once (0 = all)", "0")
    .option("--debug", "pause between steps (on a terminal) and print stack traces");
  addProgressOptions(addReportOptions(addCacheOptions(cmd))).action(
    async (template: string, flags: BuildFlags, cmd: Command) => {
      // Only an explicit -color=… overrides NO_COLOR; commander's default does not.
      flags.colorExplicit = cmd.getOptionValueSource("color") === "cli" ? flags.color : undefined;
      setExit(await build(template, flags));
    },
  );
}

async function build(templatePath: string, flags: BuildFlags): Promise<number> {
  // Bad engine settings are invalid input, like a bad template: exit 2 before anything else.
  const host = engineHostOrSay(process.env, (s) => process.stderr.write(s + "\n"));
  if (host === undefined) return 2;
  const parallel = Number(flags.parallelBuilds);
  if (!Number.isInteger(parallel) || parallel < 0) {
    process.stderr.write(
      `-parallel-builds: expected a whole number ≥ 0, got ${JSON.stringify(flags.parallelBuilds)}\n`,
    );
    return 2;
  }
  const reportFiles = reportFilesOrSay(flags, (s) => process.stderr.write(s + "\n"));
  if (reportFiles === undefined) return 2;
  const progress = progressModeOrSay(flags, (s) => process.stderr.write(s + "\n"));
  if (progress === undefined) return 2;
  // Sensitive values are registered by the loader before anything can print them.
  const masker = new SecretMasker();
  const err = maskedStderr(masker);
  let template;
  let selection;
  try {
    template = await loadChecked(templatePath, flags, masker);
    selection = planBuilds(template, flags.only ?? [], flags.except ?? []);
  } catch (e) {
    return reportError(e, err, Boolean(flags.debug));
  }
  for (const w of [...template.warnings, ...selection.warnings]) err(formatDiagnostic(w));
  const stateDirectory = stateDir(process.env);
  const builds = selection.builds;

  let ui: Ui;
  let follow: RunUi["follow"];
  try {
    ({ ui, follow } = makeRunUi(flags, progress, masker));
  } catch (e) {
    process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  for (const s of template.sensitiveValues) ui.addSecret(s);
  let cacheOptions: CacheOptions | undefined;
  try {
    const sensitive = template.sensitiveValues;
    cacheOptions = cacheOptionsFrom(flags, {
      stateDir: stateDirectory,
      env: process.env,
      template: templatePath,
      cwd: process.cwd(),
      secrets: () => sensitive,
      addSecret: (v) => ui.addSecret(v),
    });
  } catch (e) {
    ui.close?.();
    return reportError(e, err);
  }
  const events = new EventBus();
  events.subscribe(renderEvents(ui));
  follow(events);
  const report = recordReport(events, reportFiles, ui);
  const say = eventPlainUi(events, ui);
  const session = await connectOrSay(host, say);
  if (session === undefined) {
    ui.close?.();
    return finishReport(report, undefined, 1);
  }
  events.emit({
    kind: "engine",
    name: "default",
    endpoint: host.description,
    version: `${session.identity.product} ${session.identity.version}`,
    api: session.identity.apiVersion,
  });
  let code = 1;
  try {
    code = await buildWith(session.engine, { ui, events, say }, builds, template, flags, parallel, {
      stateDirectory,
      cacheOptions,
    });
  } finally {
    code = await finishReport(report, session.engine, code);
    await session.close();
  }
  return code;
}

async function buildWith(
  engine: Engine,
  out: { ui: Ui; events: EventBus; say: ReturnType<typeof eventPlainUi> },
  builds: ReturnType<typeof planBuilds>["builds"],
  template: Awaited<ReturnType<typeof loadChecked>>,
  flags: BuildFlags,
  parallel: number,
  run: { stateDirectory: string; cacheOptions: CacheOptions | undefined },
): Promise<number> {
  const { ui, events, say } = out;
  if (flags.debug) say.say("Debug mode enabled. Builds will not be parallelized.");
  await prepareEngines([engine], run.stateDirectory, say);
  const started = startRun(run.stateDirectory, say);
  const { identity, journal, activeCleanups, signals } = started;
  try {
    const outcomes = await runBuilds(
      builds,
      template,
      {
        engineFor: () => engine,
        ui,
        events,
        registry: defaultRegistry(),
        identity,
        track: journal,
        debug: Boolean(flags.debug),
        signal: signals.signal,
        onError: flags.onError,
        cwd: process.cwd(),
        hostEnv: process.env,
        force: Boolean(flags.force),
        cacheOptions: run.cacheOptions,
        activeCleanups,
        pullAuth: (b, image, bui) =>
          resolvePullAuth(b.builder, image, bui, (v) => ui.addSecret(v), process.env, signals.signal),
      },
      flags.debug ? 1 : parallel,
      { runId: identity.runId, kilnVersion: kilnVersion(), command: process.argv.slice(2) },
    );
    const code = signals.exitCode();
    if (code !== undefined) return code;
    return outcomes.some((o) => o.error) ? 1 : 0;
  } finally {
    started.end();
    ui.close?.();
  }
}
