// shell-local acts on the host: it runs every time and leaves the container as it was. A file it
// writes that a later step uploads changes that later step's inputs, not the chain.
import type { DeclaredInputs } from "../../core/step-inputs.js";

export function shellLocalInputs(): DeclaredInputs {
  return {
    files: [],
    changesContainer: false,
    notCacheable: { reason: "host", detail: "shell-local runs on the host" },
  };
}
