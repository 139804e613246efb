// What a chain run needs from its caller (the CLI, a library user): engines by name, the Ui and
// event bus, components, identity, credentials, how templates are loaded, and the per-step cache
// handed to each Packer node's RunEnv.
import type { CleanupStack } from "../core/cleanup-stack.js";
import type { PathTracker } from "../core/component.js";
import type { EventBus } from "../core/events.js";
import type { RunIdentity } from "../core/ownership.js";
import type { ComponentRegistry } from "../core/registry.js";
import type { Engine, RegistryAuth } from "../engine/types.js";
import type { CacheOptions, RunEnv } from "../run/run-env.js";
import type { BuildUi, Ui } from "../ui/ui.js";
import type { TemplateLoader } from "./plan.js";

export interface ChainEnv {
  /** Engines by name ("default" and those of -engine / the file's `engines`); every node names one. */
  engines: ReadonlyMap<string, Engine>;
  /** How each engine is reached, for messages ("unix:///run/docker.sock"). */
  engineEndpoints?: ReadonlyMap<string, string>;
  /** `host[:port]/repository` through which images move between engines; undefined: streamed. */
  transferRegistry?: string;
  /**
   * Nodes not run here whose images are already in the engine under their tags (pulled by digest
   * with --node-image): never pulled by tag, as if this run had built them.
   */
  placedNodes?: ReadonlyMap<string, string>;
  ui: Ui;
  events: EventBus;
  registry: ComponentRegistry;
  identity: RunIdentity;
  signal: AbortSignal;
  hostEnv: NodeJS.ProcessEnv;
  activeCleanups: Set<CleanupStack>;
  track?: PathTracker;
  /** A Packer node's base image credentials (the builder's login options, then Docker's chain). */
  pullAuth?: RunEnv["pullAuth"];
  /** Docker's credential chain for one registry host: Dockerfile FROM images and `push` targets. */
  registryAuth?: (registry: string, ui: BuildUi) => Promise<RegistryAuth | undefined>;
  /** Loads a template (with the CLI's static checks); used again when a node's vars need built IDs. */
  loadTemplate: TemplateLoader;
  /** The per-step cache for Packer nodes; undefined with -no-cache (then Dockerfile nodes also build without the engine's cache). */
  cacheOptions?: CacheOptions;
  /** -no-cache: Dockerfile nodes build without the engine's build cache too. */
  noCache?: boolean;
  /** The run's start: isotime/timestamp in templates are constant within a run. */
  startTime: Date;
}

export interface ChainRunOptions {
  /** Nodes running at once, per engine (≥ 1). */
  parallel: number;
  /** Per-engine limits that differ from `parallel`. */
  engineParallel?: ReadonlyMap<string, number>;
  failFast: boolean;
  runId: string;
  kilnVersion: string;
  command: string[];
}
