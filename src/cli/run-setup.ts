// What `kiln build` and `kiln chain` set up the same way before running: the Ui (human or
// machine-readable, with the debug log sharing its masker), and the engines' prelude (reachable?
// leftovers of earlier interrupted runs removed).
import { randomUUID } from "node:crypto";
import { currentIdentity, type RunIdentity } from "../core/ownership.js";
import type { CleanupStack } from "../core/cleanup-stack.js";
import { Journal } from "../run/journal.js";
import { installSignalHandlers, type SignalControl } from "../run/signals.js";
import { createHumanUi } from "../ui/human-ui.js";
import { colorEnabled } from "../ui/format.js";
import { createMachineUi } from "../ui/machine-ui.js";
import type { Ui } from "../ui/ui.js";
import { SecretMasker } from "../ui/mask.js";
import { createLogger } from "../ui/log.js";
import { EngineConfigError, EngineError } from "../engine/errors.js";
import { connectEngine, resolveEngineHost } from "../engine/index.js";
import type { EngineHost, EngineSession } from "../engine/index.js";
import type { Engine } from "../engine/types.js";
import { findLeftovers, removeLeftovers } from "../run/reconcile.js";
import type { EventBus } from "../core/events.js";
import { LiveRegion } from "../ui/progress/live-region.js";
import { resolveProgress, type ProgressMode } from "../ui/progress/progress-mode.js";
import { startTtyProgress, type TtyProgress } from "../ui/progress/tty-progress.js";

export interface UiFlags {
  machineReadable?: boolean;
  colorExplicit?: boolean;
  timestampUi?: boolean;
}

/** The Ui, and the debug log (KILN_LOG / PACKER_LOG) it writes to, masked by the same masker. */
export function makeUi(
  flags: UiFlags,
  masker = new SecretMasker(),
  out: NodeJS.WritableStream = process.stdout,
): Ui {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const log = createLogger(process.env, { masker });
  if (flags.machineReadable) return createMachineUi({ out, masker, log });
  return createHumanUi({
    masker,
    log,
    out,
    color: colorEnabled(flags.colorExplicit, process.env),
    timestamps: Boolean(flags.timestampUi),
    interactive,
    input: process.stdin,
  });
}

/** The run's Ui, and how the live progress view (when the run has one) follows the run's events. */
export interface RunUi {
  ui: Ui;
  /** Starts the live view on the run's bus (nothing in plain mode); `ui.close()` stops and erases it. */
  follow: (bus: EventBus) => void;
}

/**
 * The Ui for `kiln build` / `kiln chain`: in tty mode, the human Ui writes through a live region
 * (src/ui/progress) that the progress view draws under the scrolling lines.
 */
export function makeRunUi(flags: UiFlags, mode: ProgressMode, masker = new SecretMasker()): RunUi {
  const out = process.stdout;
  const chosen = resolveProgress(mode, {
    isTTY: Boolean(out.isTTY),
    env: process.env,
    machineReadable: Boolean(flags.machineReadable),
  });
  if (chosen === "plain") return { ui: makeUi(flags, masker), follow: () => undefined };
  const region = new LiveRegion(out);
  // The region stands in for stdout under the line sink: write, drain and backpressure pass through.
  const ui = makeUi(flags, masker, region as unknown as NodeJS.WritableStream);
  let progress: TtyProgress | undefined;
  // A forced exit (a third signal, a crash) still leaves a clean terminal: TTY writes are synchronous.
  const onExit = (): void => {
    const erase = region.pendingErase();
    if (erase !== "") out.write(erase);
  };
  process.once("exit", onExit);
  return {
    ui: {
      ...ui,
      close() {
        progress?.stop();
        region.clear();
        process.off("exit", onExit);
        ui.close?.();
      },
    },
    follow: (bus) => {
      progress ??= startTtyProgress({ bus, region, width: () => out.columns || 80 });
    },
  };
}

/**
 * Where the engine is, from DOCKER_HOST / contexts. Bad settings are invalid input, like a bad
 * template: the caller exits 2 before anything else (undefined, having said why).
 */
export function engineHostOrSay(env: NodeJS.ProcessEnv, err: (line: string) => void): EngineHost | undefined {
  try {
    return resolveEngineHost(env);
  } catch (e) {
    if (!(e instanceof EngineConfigError)) throw e;
    err(`Error: ${e.message}`);
    return undefined;
  }
}

/** Connects (starting Podman's service when that is the engine) and names the engine first. */
export async function connectOrSay(
  host: EngineHost,
  say: { say(msg: string): void; error(msg: string): void },
): Promise<EngineSession | undefined> {
  try {
    const session = await connectEngine(host, { env: process.env });
    say.say(session.summary);
    return session;
  } catch (e) {
    const why = e instanceof EngineError ? e.message : String(e);
    say.error(`Cannot reach the Docker engine at ${host.description}: ${why}`);
    return undefined;
  }
}

/** Removes what earlier runs whose process is gone left behind (SIGKILL, a crash, a lost engine). */
export async function prepareEngines(
  engines: readonly Engine[],
  stateDirectory: string,
  say: { say(msg: string): void; error(msg: string): void },
): Promise<void> {
  try {
    const { removed, failed } = await removeLeftovers(await findLeftovers(engines, stateDirectory));
    if (removed.length > 0)
      say.say(`Removed ${removed.length} leftover(s) of earlier interrupted kiln runs.`);
    for (const [l, e] of failed)
      say.error(`Could not remove a leftover of an earlier run, ${l.description}: ${String(e)}`);
  } catch (e) {
    say.error(`Could not check for leftovers of earlier runs: ${String(e)}`);
  }
}

/** What a run owns from its start: its identity, journal, live cleanup stacks and signal handling. */
export interface RunStart {
  identity: RunIdentity;
  journal: Journal;
  activeCleanups: Set<CleanupStack>;
  signals: SignalControl;
  /** Closes the journal and removes the signal handlers. */
  end(): void;
}

/**
 * A run's identity and journal, and SIGINT / SIGTERM / a closed stdout cancelling it (a forced
 * exit names what the live cleanup stacks still hold).
 */
export function startRun(stateDirectory: string, say: { error(msg: string): void }): RunStart {
  const identity = currentIdentity(randomUUID());
  const journal = new Journal(stateDirectory, identity);
  const activeCleanups = new Set<CleanupStack>();
  const signals = installSignalHandlers({
    say: (m) => say.error(m),
    pending: () => [...activeCleanups].flatMap((c) => c.pending()),
    output: process.stdout,
  });
  return {
    identity,
    journal,
    activeCleanups,
    signals,
    end() {
      journal.close();
      signals.dispose();
    },
  };
}
