// Podman names itself among /version's components ("Podman Engine"); Docker says "Engine". The one
// place that reads it, for the engine's identity and for the callers that only hold an Engine.
import type { EngineVersion } from "./types.js";

/** Podman's component of a /version answer, or undefined when the engine is Docker. */
export function podmanComponent(version: EngineVersion): { Name: string; Version: string } | undefined {
  return version.Components?.find((c) => /podman/i.test(c.Name));
}
