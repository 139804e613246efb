// `kiln build`: what `packer build` does, through the Engine API.
import type { Command } from "commander";
import { Option } from "commander";
import { createEngine } from "../../engine/index.js";
import { EngineError } from "../../engine/errors.js";
import { createHumanUi } from "../../ui/human-ui.js";
import { colorEnabled } from "../../ui/format.js";
import { createMachineUi } from "../../ui/machine-ui.js";
import type { Ui } from "../../ui/ui.js";
import { SecretMasker } from "../../ui/mask.js";
import { createLogger } from "../../ui/log.js";
import { installSignalHandlers } from "../../run/signals.js";
import { runBuilds } from "../../run/run-builds.js";
import { provisionerFactories, postProcessorFactories } from "../../run/components.js";
import { currentIdentity } from "../../run/ownership.js";
import type { CleanupStack } from "../../run/cleanup-stack.js";
import type { OnError } from "../../run/run-build.js";
import { randomUUID } from "node:crypto";
import { selectBuilds } from "../../plan/select-builds.js";
import { addTemplateOptions, loadChecked, maskedStderr, reportError } from "../load.js";
import { formatDiagnostic } from "../../template/diagnostic.js";
import { resolvePullAuth } from "../../builders/docker/pull-auth.js";
import { Journal, stateDir } from "../../run/journal.js";
import { findLeftovers, removeLeftovers } from "../../run/reconcile.js";

interface BuildFlags {
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
    .option("--debug", "pause between steps (on a terminal) and print stack traces")
    .action(async (template: string, flags: BuildFlags, cmd: Command) => {
      // Only an explicit -color=… overrides NO_COLOR; commander's default does not.
      flags.colorExplicit = cmd.getOptionValueSource("color") === "cli" ? flags.color : undefined;
      setExit(await build(template, flags));
    });
}

/** The Ui, and the debug log (KILN_LOG / PACKER_LOG) it writes to, masked by the same masker. */
function makeUi(flags: BuildFlags, masker: SecretMasker): Ui {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const log = createLogger(process.env, { masker });
  if (flags.machineReadable) return createMachineUi({ out: process.stdout, masker, log });
  return createHumanUi({
    masker,
    log,
    out: process.stdout,
    color: colorEnabled(flags.colorExplicit, process.env),
    timestamps: Boolean(flags.timestampUi),
    interactive,
    input: process.stdin,
  });
}

async function build(templatePath: string, flags: BuildFlags): Promise<number> {
  const parallel = Number(flags.parallelBuilds);
  if (!Number.isInteger(parallel) || parallel < 0) {
    process.stderr.write(
      `-parallel-builds: expected a whole number ≥ 0, got ${JSON.stringify(flags.parallelBuilds)}\n`,
    );
    return 2;
  }
  // Sensitive values are registered by the loader before anything can print them.
  const masker = new SecretMasker();
  const err = maskedStderr(masker);
  let template;
  try {
    template = await loadChecked(templatePath, flags, masker);
  } catch (e) {
    return reportError(e, err, Boolean(flags.debug));
  }
  for (const w of template.warnings) err(formatDiagnostic(w));
  const builds = selectBuilds(template.builds, flags.only ?? [], flags.except ?? []);

  let ui: Ui;
  try {
    ui = makeUi(flags, masker);
  } catch (e) {
    process.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  for (const s of template.sensitiveValues) ui.addSecret(s);
  const engine = createEngine(process.env);
  try {
    await engine.ping();
  } catch (e) {
    const why = e instanceof EngineError ? e.message : String(e);
    ui.error(`Cannot reach the Docker engine at ${engine.endpoint}: ${why}`);
    return 1;
  }
  if (flags.debug) ui.say("Debug mode enabled. Builds will not be parallelized.");
  const identity = currentIdentity(randomUUID());
  const stateDirectory = stateDir(process.env);
  // Leftovers of earlier runs whose process is gone (SIGKILL, a crash, a lost engine) go first.
  try {
    const { removed, failed } = await removeLeftovers(await findLeftovers(engine, stateDirectory));
    if (removed.length > 0) ui.say(`Removed ${removed.length} leftover(s) of earlier interrupted kiln runs.`);
    for (const [l, e] of failed)
      ui.error(`Could not remove a leftover of an earlier run, ${l.description}: ${String(e)}`);
  } catch (e) {
    ui.error(`Could not check for leftovers of earlier runs: ${String(e)}`);
  }
  const journal = new Journal(stateDirectory, identity);
  const activeCleanups = new Set<CleanupStack>();
  const signals = installSignalHandlers({
    say: (m) => ui.error(m),
    pending: () => [...activeCleanups].flatMap((c) => c.pending()),
    output: process.stdout,
  });
  try {
    const outcomes = await runBuilds(
      builds,
      template,
      {
        engine,
        ui,
        identity,
        track: journal,
        debug: Boolean(flags.debug),
        signal: signals.signal,
        onError: flags.onError,
        provisioners: provisionerFactories(),
        postProcessors: postProcessorFactories({ force: Boolean(flags.force), cwd: process.cwd() }),
        activeCleanups,
        pullAuth: (b, image, bui) =>
          resolvePullAuth(b.builder, image, bui, (v) => ui.addSecret(v), process.env, signals.signal),
      },
      flags.debug ? 1 : parallel,
    );
    const code = signals.exitCode();
    if (code !== undefined) return code;
    return outcomes.some((o) => o.error) ? 1 : 0;
  } finally {
    journal.close();
    signals.dispose();
    ui.close?.();
  }
}
