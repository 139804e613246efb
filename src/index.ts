// kiln as a library: load a template, then run builds through an Engine, with events.
export { loadTemplate } from "./template/load.js";
export type { Template, BuildDef } from "./template/types.js";
export { createEngine } from "./engine/index.js";
export type { Engine } from "./engine/types.js";
export { runBuilds } from "./run/run-builds.js";
export type { RunEnv, OnError } from "./run/run-env.js";
export type { BuildOutcome } from "./run/run-build.js";
export { defaultRegistry } from "./components/registry.js";
export { EventBus } from "./core/events.js";
export type { RunEvent, StepRef, CacheDecision } from "./core/events.js";
export type { Artifact } from "./core/artifact.js";
export type { BuildFailure } from "./core/errors.js";
export { run as runCli } from "./cli/main.js";
