// breakpoint waits for the user on the host: it runs every time and changes nothing.
import type { DeclaredInputs } from "../../core/step-inputs.js";

export function breakpointInputs(): DeclaredInputs {
  return {
    files: [],
    changesContainer: false,
    notCacheable: { reason: "host", detail: "breakpoint pauses on the host" },
  };
}
