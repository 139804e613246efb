// The library's build: what `kiln build` does for a loaded template, minus the command line. The
// caller chooses the engine (connectEngine, or any Engine), watches the run through an EventBus,
// and cancels with an AbortSignal; kiln installs no signal handlers in a host program. Builds run
// without the per-step cache (as `kiln build -no-cache`), and with `-on-error=cleanup` unless told.
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { resolvePullAuth } from "../builders/docker/pull-auth.js";
import { defaultRegistry } from "../components/registry.js";
import type { CleanupStack } from "../core/cleanup-stack.js";
import { EventBus } from "../core/events.js";
import { currentIdentity } from "../core/ownership.js";
import type { Engine } from "../engine/types.js";
import { planBuilds } from "../plan/select-builds.js";
import type { BuildOutcome } from "../run/run-build.js";
import { runBuilds } from "../run/run-builds.js";
import type { OnError } from "../run/run-env.js";
import type { Template } from "../template/types.js";
import { createHumanUi } from "../ui/human-ui.js";
import { SecretMasker } from "../ui/mask.js";
import { renderEvents } from "../ui/render-events.js";

export interface BuildTemplateOptions {
  /** Where the builds run: `(await connectEngine()).engine`, or any Engine. */
  engine: Engine;
  /** Subscribe to it for every line and lifecycle event of the run (RunEvent). */
  events?: EventBus;
  /** Where `kiln build`'s human-readable output goes (no colours); default: nowhere. */
  output?: NodeJS.WritableStream;
  /** Build names to run / skip (globs), as `-only` / `-except`. */
  only?: string[];
  except?: string[];
  /** As `-on-error`, without "ask" (a library has no terminal to ask on). Default "cleanup". */
  onError?: Exclude<OnError, "ask">;
  /** Builds at once; 0 (the default) runs them all in parallel. */
  parallel?: number;
  /** Aborting cancels the builds; their containers are removed before the promise settles. */
  signal?: AbortSignal;
  /** Where relative host paths resolve (default: process.cwd()). */
  cwd?: string;
  /** The environment host processes and credential lookups see (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the template's builds (selected by only/except) and resolves with one outcome per build
 * (`error` set when it failed). Throws InvalidInputError when the selection is invalid.
 */
export async function buildTemplate(template: Template, opts: BuildTemplateOptions): Promise<BuildOutcome[]> {
  const selection = planBuilds(template, opts.only ?? [], opts.except ?? []);
  const events = opts.events ?? new EventBus();
  const masker = new SecretMasker();
  const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
  const ui = createHumanUi({
    out: opts.output ?? nowhere,
    masker,
    color: false,
    timestamps: false,
    interactive: false,
  });
  for (const s of template.sensitiveValues) ui.addSecret(s);
  const unsubscribe = events.subscribe(renderEvents(ui));
  const env = opts.env ?? process.env;
  const signal = opts.signal ?? new AbortController().signal;
  const identity = currentIdentity(randomUUID());
  try {
    return await runBuilds(
      selection.builds,
      template,
      {
        engineFor: () => opts.engine,
        ui,
        events,
        registry: defaultRegistry(),
        identity,
        signal,
        onError: opts.onError ?? "cleanup",
        cwd: opts.cwd ?? process.cwd(),
        hostEnv: env,
        force: false,
        activeCleanups: new Set<CleanupStack>(),
        pullAuth: (b, image, bui) =>
          resolvePullAuth(b.builder, image, bui, (v) => ui.addSecret(v), env, signal),
      },
      opts.parallel ?? 0,
      { runId: identity.runId, kilnVersion: "", command: [] },
    );
  } finally {
    unsubscribe();
    ui.close?.();
  }
}
