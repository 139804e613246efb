// kiln's command line: thin; each command lives in its own file.
import { Command, CommanderError } from "commander";
import { normalizeArgv } from "./argv.js";
import { registerBuild } from "./commands/build.js";
import { registerValidate } from "./commands/validate.js";
import { registerInspect } from "./commands/inspect.js";
import { registerPrune } from "./commands/prune.js";
import { registerCache } from "./commands/cache.js";
import { registerTemplateTools } from "./commands/template-tools.js";
import { registerChain } from "./commands/chain.js";
import { registerHelp } from "./commands/help.js";
import { helpWithDefaults } from "./help-defaults.js";
import { registerPlan } from "./commands/plan.js";
import { kilnVersion, PACKER_COMPAT_VERSION } from "./version.js";
import { BROKEN_PIPE_EXIT_CODE } from "../run/signals.js";
import { debugDetail } from "../core/errors.js";

/**
 * Last line of defence: a bug never prints a stack trace at a user, except with -debug, which
 * asks for it (with every cause). Cleanup registered so far cannot run from here; `kiln prune`
 * removes what is left.
 */
function installCrashHandler(debug: boolean): void {
  const crash = (e: unknown) => {
    process.stderr.write(
      `kiln: internal error: ${internalErrorText(e, debug)}\nThis is a bug in kiln; leftovers, if any, are removed by \`kiln prune\`.\n`,
    );
    process.exit(1);
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  // `kiln … | head`: the reader went away. Unless a command that owns cleanup listens too (build
  // cancels its run, see run/signals.ts), end quietly with SIGPIPE's exit status, as a C program
  // killed by SIGPIPE would.
  // Diagnostics go to stderr, so `kiln validate bad 2>&1 >/dev/null | true` closes that one.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") crash(e);
      else if (stream.listenerCount("error") === 1) process.exit(BROKEN_PIPE_EXIT_CODE);
    });
  }
}

function internalErrorText(e: unknown, debug: boolean): string {
  if (debug) return debugDetail(e);
  return e instanceof Error ? e.message : String(e);
}

/** -debug (build's flag) anywhere before `--`: internal errors then print their stacks. */
function debugRequested(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--debug");
}

export async function run(argv: string[]): Promise<number> {
  const normalized = normalizeArgv(argv);
  const debug = debugRequested(normalized);
  installCrashHandler(debug);
  let exit = 0;
  const setExit = (code: number) => (exit = code);
  const program = new Command()
    .name("kiln")
    .description("Runs Packer docker templates (JSON and HCL2) through the Docker Engine API.")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .configureHelp(helpWithDefaults);
  registerBuild(program, setExit);
  registerChain(program, setExit);
  registerPlan(program, setExit);
  registerValidate(program, setExit);
  registerInspect(program, setExit);
  registerPrune(program, setExit);
  registerCache(program, setExit);
  registerTemplateTools(program, setExit);
  program
    .command("version")
    .description("Print kiln's version and the Packer version whose templates it runs.")
    .action(() => {
      process.stdout.write(
        `kiln v${kilnVersion()} (runs Packer ${PACKER_COMPAT_VERSION} docker templates)\n`,
      );
    });
  registerHelp(program, setExit);
  try {
    await program.parseAsync(normalized, { from: "user" });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; usage errors are invalid input.
      return e.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`kiln: internal error: ${internalErrorText(e, debug)}\n`);
    return 1;
  }
}
