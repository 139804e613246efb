// Runs a build's provisioners through the builder's session, each observed as a step, with
// -debug pauses and Packer's -on-error choices (cleanup, abort, ask, run-cleanup-provisioner).
import type { BuildSession, StepObserver } from "../core/builder.js";
import type { ComponentContext, ProvisionContext } from "../core/component.js";
import type { StepRef } from "../core/events.js";
import { errorMessage } from "../core/errors.js";
import type { BuildDef, ProvisionerDef } from "../template/types.js";
import type { BuildUi } from "../ui/ui.js";
import { runProvisioner } from "./provision.js";
import type { RunEnv } from "./run-env.js";

export interface ProvisionResult {
  /** The container kept for inspection (-on-error=abort or run-cleanup-provisioner). */
  keptContainer?: string;
}

export function provisionerStep(def: ProvisionerDef, index: number): StepRef {
  return { phase: "provision", index, name: `provisioner ${index + 1} (${def.type})`, type: def.type };
}

export async function provisionAll(
  build: BuildDef,
  session: BuildSession,
  context: ComponentContext,
  env: RunEnv,
  observe: StepObserver,
  result: ProvisionResult,
): Promise<void> {
  const ui = context.ui;
  for (const [i, def] of build.provisioners.entries()) {
    const step = provisionerStep(def, i);
    await observe(step, async () => {
      await debugPause(env, ui, "before the next provisioner");
      const ctx: ProvisionContext = {
        ...context,
        step,
        tempDir: session.tempDir,
        comm: await session.communicator(),
      };
      for (;;) {
        try {
          await runProvisioner(def, i, ctx, env.registry);
          return;
        } catch (e) {
          if (env.signal.aborted) throw e;
          const decision = await decideOnError(env, ui);
          if (decision === "retry") continue;
          if (decision === "abort") {
            result.keptContainer = session.keepContainer();
            throw e;
          }
          // Packer says this whether or not there is a cleanup provisioner.
          ui.say("Provisioning step had errors: Running the cleanup provisioner, if present...");
          if (build.errorCleanupProvisioner) {
            await runProvisioner(build.errorCleanupProvisioner, -1, ctx, env.registry).catch((ce: unknown) =>
              ui.error(`The error-cleanup-provisioner failed too: ${errorMessage(ce)}`),
            );
          }
          if (decision === "run-cleanup-provisioner") result.keptContainer = session.keepContainer();
          throw e;
        }
      }
    });
  }
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
