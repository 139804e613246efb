// The builder contract: what the runner asks of a builder, and the session a builder hands to the
// provisioning hook (Packer's StepProvision → hook.Run). The runner drives provisioners through
// the session, so the per-step cache can resume from an image, snapshot after a step, and create
// a container only when a step needs one.
import type { Readable } from "node:stream";
import type { TemplateFormat } from "../template/option-text.js";
import type { Artifact } from "./artifact.js";
import type { BuildData } from "./build-data.js";
import type { CleanupStack } from "./cleanup-stack.js";
import type { Communicator } from "./communicator.js";
import type { ComponentReporter, PathTracker } from "./component.js";
import type { RunIdentity } from "./ownership.js";
import type { StepRef, StepStatus } from "./events.js";
import type { Engine, RegistryAuth } from "../engine/types.js";
import type { BuildDef } from "../template/types.js";
import type { BuildUi } from "../ui/ui.js";

/**
 * Wraps each step of a build: the runner emits its events (started, finished with its timing and
 * status) and maps its failure. `fn` resolves with the step's status when it is not plain `ok`.
 */
export type StepObserver = (step: StepRef, fn: () => Promise<StepStatus | void>) => Promise<void>;

export interface BuilderContext {
  engine: Engine;
  ui: BuildUi;
  identity: RunIdentity;
  /** Undo of everything the builder acquires, run by the runner in reverse order. */
  cleanup: CleanupStack;
  signal: AbortSignal;
  buildData: BuildData;
  render: (text: string, data?: Record<string, string>) => string;
  /** Where relative host paths resolve (volumes, `-v ./x`, export_path). */
  cwd: string;
  /** Environment for `-e NAME` lookups and `~` in volumes (the kiln process's, or a caller's). */
  hostEnv: NodeJS.ProcessEnv;
  track?: PathTracker;
  /** Credentials for the base image's registry. */
  pullAuth?: (image: string) => Promise<RegistryAuth | undefined>;
  /** Set for an image built earlier in the run (a chain's node): where it comes from; never pulled. */
  localImage?: (image: string) => string | undefined;
  observe: StepObserver;
  /** Bytes moved by the base image's pull, for a progress display. */
  report?: Pick<ComponentReporter, "transfer">;
  /**
   * Start the build container only when a step needs one (the per-step cache: a build whose steps
   * are all cached never starts one). Otherwise it starts before the first step, as in Packer.
   */
  lazyContainer?: boolean;
  /** The syntax of the template being run, for hints that quote an option (JSON when absent). */
  templateFormat?: TemplateFormat;
  /**
   * Set when a post-processor will read the export (docker-import): the export step feeds its
   * stream here too, while it writes export_path (src/run/streamed-import.ts).
   */
  exportTee?: (tar: Readable, signal: AbortSignal) => Promise<unknown> | void;
  /** False when only exportTee reads the export: no export_path file is written. */
  exportFileNeeded?: boolean;
}

/**
 * The build's working state as provisioners see it: an image (the base, then each step's result)
 * and, when a step needs one, a running container at that image.
 */
export interface BuildSession {
  /** The image the next provisioner starts from. */
  readonly imageId: string;
  /** A private host directory for the build's host-side files, removed at cleanup. */
  readonly tempDir: string;
  /** The running container, if any. */
  readonly containerId: string | undefined;
  /**
   * Settings that shape the container (run_command as rendered, volumes, env, user, privileged,
   * platform…): the first step's cache key hashes them.
   */
  readonly settings: Readonly<Record<string, unknown>>;
  /** A running container at `imageId`: the existing one, or a new one started from it. */
  communicator(): Promise<Communicator>;
  /**
   * The directory the builder made in the container for the build's own use (the docker
   * builder's `container_dir`), which results never contain; undefined when it made none.
   */
  readonly scratchDir: string | undefined;
  /**
   * Commits the running container as it is (no config changes) and moves `imageId` to the new
   * image. The image belongs to the caller (the cache); the session does not remove it. With
   * `keepScratch`, the image keeps `scratchDir` (the next step finds it there, and the result's
   * commit removes it); without, it is removed first.
   */
  snapshot(comment: string, options?: { keepScratch?: boolean }): Promise<string>;
  /**
   * Continues from another image (a cache hit): a running container is removed. `scratch` names
   * the scratch directory that image keeps (a snapshot made with `keepScratch`).
   */
  resumeFrom(imageId: string, options?: { scratch?: string }): Promise<void>;
  /**
   * Keeps the running container after the build (-on-error=abort): its removal is dropped from
   * the cleanup; returns its ID.
   */
  keepContainer(): string | undefined;
}

export type ProvisionHook = (session: BuildSession) => Promise<void>;

export interface Builder {
  readonly type: string;
  /** Runs the builder's steps; `provision` runs once the build's container can be used. */
  run(build: BuildDef, ctx: BuilderContext, provision: ProvisionHook): Promise<Artifact>;
}
