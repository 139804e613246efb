// What a chain run needs from its caller (the CLI, a library user): engines by name, the Ui and
// event bus, components, identity, credentials, and how templates are loaded. The per-step cache
// (issue 12) will join here as an optional field handed to each Packer node's RunEnv, with the
// chain's -no-cache / -cache-from / -cache-to.
import type { CleanupStack } from "../core/cleanup-stack.js";
import type { PathTracker } from "../core/component.js";
import type { EventBus } from "../core/events.js";
import type { RunIdentity } from "../core/ownership.js";
import type { ComponentRegistry } from "../core/registry.js";
import type { Engine, RegistryAuth } from "../engine/types.js";
import type { RunEnv } from "../run/run-env.js";
import type { BuildUi, Ui } from "../ui/ui.js";
import type { TemplateLoader } from "./plan.js";

export interface ChainEnv {
  /** Engines by name; every node names one ("default" for now). */
  engines: ReadonlyMap<string, Engine>;
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
  /** The run's start: isotime/timestamp in templates are constant within a run. */
  startTime: Date;
}

export interface ChainRunOptions {
  /** Nodes running at once, per engine (≥ 1). */
  parallel: number;
  failFast: boolean;
  runId: string;
  kilnVersion: string;
  command: string[];
}
