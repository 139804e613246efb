// kiln as a library: load a template, then run builds through an Engine, with events.
// This file is the package's public API (see docs/library.md); etc/kiln.api.md is its report,
// checked by a test so a change to it is deliberate (`npm run api` updates the report).
export { loadTemplate } from "./template/load.js";
export type { Template, BuildDef } from "./template/types.js";
export { createEngine } from "./engine/index.js";
export type { Engine } from "./engine/types.js";
export { runBuilds } from "./run/run-builds.js";
export type { RunEnv, OnError } from "./run/run-env.js";
export type { BuildOutcome } from "./run/run-build.js";
export { defaultRegistry } from "./components/registry.js";
export { EventBus } from "./core/events.js";
export type { RunEvent, StepRef, CacheDecision, TestResult } from "./core/events.js";
export type { Artifact } from "./core/artifact.js";
export type { BuildFailure } from "./core/errors.js";
export { run as runCli } from "./cli/main.js";
export { planBuilds } from "./plan/select-builds.js";
export { InvalidInputError, formatDiagnostic } from "./template/diagnostic.js";
export type { Diagnostic, SourcePos } from "./template/diagnostic.js";
export type { LoadOptions } from "./template/types.js";
export { templateSchema } from "./template/template-schema.js";
export { connectEngine, resolveEngineHost } from "./engine/index.js";
export type { EngineHost, EngineSession } from "./engine/index.js";
export { readChain } from "./chain/read-chain.js";
export { planChain } from "./chain/plan.js";
export { selectNodes } from "./chain/select.js";
export { runChain } from "./chain/run-chain.js";
export { buildTemplate } from "./library/build-template.js";
export type { BuildTemplateOptions } from "./library/build-template.js";
