// Observes the steps of one build: emits step-started / step-finished events with monotonic
// timings and status, and remembers which step failed, so the build's failure is structured
// (phase, step, cause) and not only a string.
import type { EventBus, StepRef, StepStatus } from "../core/events.js";
import type { StepObserver } from "../core/builder.js";
import { causeMessages, errorMessage, type BuildFailure } from "../core/errors.js";

export interface ObservedBuild {
  observe: StepObserver;
  /** The step that failed last, if any. */
  failedStep: () => StepRef | undefined;
}

export function observeBuild(bus: EventBus, build: string, signal: AbortSignal): ObservedBuild {
  let failed: StepRef | undefined;
  const observe: StepObserver = async (step, fn) => {
    bus.emit({ kind: "step-started", build, step });
    const started = bus.elapsed();
    let status: StepStatus = "ok";
    try {
      const s = await fn();
      if (s) status = s;
    } catch (e) {
      status = signal.aborted ? "cancelled" : "failed";
      failed ??= step;
      bus.emit({
        kind: "step-finished",
        build,
        step,
        status,
        durationMs: bus.elapsed() - started,
        failure: failureOf(e, step.phase, step.name, signal.aborted),
      });
      throw e;
    }
    bus.emit({ kind: "step-finished", build, step, status, durationMs: bus.elapsed() - started });
  };
  return { observe, failedStep: () => failed };
}

export function failureOf(
  e: unknown,
  phase: BuildFailure["phase"],
  step: string | undefined,
  cancelled: boolean,
  message: string = errorMessage(e),
): BuildFailure {
  return { phase, ...(step ? { step } : {}), message, causes: causeMessages(e), cancelled };
}
