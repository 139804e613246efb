// kiln as a library: load a template, then run builds through an Engine.
export { loadTemplate } from "./template/load.js";
export type { Template, BuildDef } from "./template/types.js";
export { createEngine } from "./engine/index.js";
export type { Engine } from "./engine/types.js";
export { runBuilds } from "./run/run-builds.js";
export type { Artifact } from "./core/artifact.js";
export { run as runCli } from "./cli/main.js";
