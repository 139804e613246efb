// What the runner needs from its caller (the CLI, a chain, a library user): engines, output,
// events, components, and the run's identity, working directory and cancellation.
import type { CleanupStack } from "../core/cleanup-stack.js";
import type { PathTracker } from "../core/component.js";
import type { EventBus } from "../core/events.js";
import type { RunIdentity } from "../core/ownership.js";
import type { ComponentRegistry } from "../core/registry.js";
import type { Engine, RegistryAuth } from "../engine/types.js";
import type { BuildDef } from "../template/types.js";
import type { BuildUi, Ui } from "../ui/ui.js";
import type { CacheSettings, RegistryAccess } from "../cache/step-cache.js";

export type OnError = "cleanup" | "abort" | "ask" | "run-cleanup-provisioner";

/** The per-step cache of a run (absent: `-no-cache`). */
export interface CacheOptions {
  settings: CacheSettings;
  registries: RegistryAccess;
  /** `-no-cache-step` selectors (`N` or `build:N`, 1-based): steps that run every time. */
  noCacheSteps: readonly string[];
  /** Values that never take part in a key (sensitive variables, credentials). */
  secrets: () => readonly string[];
  /** The template file, for the local index (`kiln plan` compares against it). */
  template: string;
}

export interface RunEnv {
  /** The engine a build runs on (one per build: builds of a run may use different engines). */
  engineFor(build: BuildDef): Engine;
  /** The renderer: masking, secrets, and terminal abilities (questions, backpressure). */
  ui: Ui;
  /** Every line and lifecycle event of the run goes here; renderers and reports subscribe. */
  events: EventBus;
  registry: ComponentRegistry;
  identity: RunIdentity;
  signal: AbortSignal;
  onError: OnError;
  /** Where relative host paths resolve: the directory the run was started in. */
  cwd: string;
  /** The environment host-side tools and `-e NAME` lookups see. */
  hostEnv: NodeJS.ProcessEnv;
  /** -force */
  force: boolean;
  /** Live cleanup stacks, so a forced exit can say what was left. */
  activeCleanups: Set<CleanupStack>;
  pullAuth?: (build: BuildDef, image: string, ui: BuildUi) => Promise<RegistryAuth | undefined>;
  /** The run's journal of host paths (see journal.ts). */
  track?: PathTracker;
  /** -debug: pause before each provisioner (on a terminal). */
  debug?: boolean;
  /** The per-step cache; undefined runs every step (-no-cache). */
  cacheOptions?: CacheOptions;
  /**
   * Images built earlier in this run (a chain's nodes): for such an image, a sentence saying
   * where it comes from; its pull is skipped (the registry may hold an older one, or none).
   */
  localImage?: (image: string) => string | undefined;
}
