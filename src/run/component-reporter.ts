// What components report besides their output lines, as run events of one build: retries,
// transfer bytes, build outputs and image-test results. Text that may hold a secret is masked
// here, before any renderer or the report sees it.
import type { ComponentReporter } from "../core/component.js";
import type { EventBus } from "../core/events.js";

export function componentReporter(
  events: EventBus,
  build: string,
  mask: (text: string) => string,
): Required<ComponentReporter> {
  return {
    retry: (r) => events.emit({ kind: "retry", build, ...r, cause: mask(r.cause) }),
    transfer: (t) => events.emit({ kind: "transfer", build, ...t, ref: mask(t.ref) }),
    output: (o) => events.emit({ kind: "build-output", build, ...o, value: mask(o.value) }),
    test: (r) =>
      events.emit({
        kind: "test-result",
        build,
        ...r,
        command: mask(r.command),
        ...(r.reason !== undefined ? { reason: mask(r.reason) } : {}),
      }),
  };
}
