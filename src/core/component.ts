// Contracts between the runner and the components it drives (builders, provisioners,
// post-processors). Both sides import this module; neither imports the other.
import type { Communicator } from "./communicator.js";
import type { Artifact } from "./artifact.js";
import type { BuildData } from "./build-data.js";
import type { StepRef, TestResult } from "./events.js";
import type { BuildUi } from "../ui/ui.js";
import type { Engine } from "../engine/types.js";
import type { RunIdentity } from "./ownership.js";
import type { TemplateFormat } from "../template/option-text.js";

export interface PathTracker {
  add(path: string): void;
  remove(path: string): void;
}

/** What a component reports besides its output lines (they go through `ui`). */
export interface ComponentReporter {
  /** A transient failure that is being retried (pushes, pulls). */
  retry(info: { what: string; attempt: number; of: number; cause: string; delayMs: number }): void;
  /** Bytes moved so far by a pull or a push (for a progress display). */
  transfer?(info: {
    step?: StepRef;
    direction: "pull" | "push";
    ref: string;
    current: number;
    total: number;
  }): void;
  /** A build output published by `step` (or restored from its cache entry). */
  output?(info: { step?: StepRef; name: string; value: string; cached: boolean }): void;
  /** One image-test command's result (`docker-test`). */
  test?(info: TestResult): void;
}

export interface ComponentContext {
  ui: BuildUi;
  /** Build name as shown (UI prefix). */
  buildName: string;
  /** PACKER_BUILD_NAME */
  sourceName: string;
  builderType: string;
  buildData: BuildData;
  templateDir: string;
  /**
   * Where relative host paths resolve (scripts, sources, destinations, output files): the
   * directory kiln was started in, or a chain node's working directory. Never process.cwd().
   */
  cwd: string;
  /** The syntax of the template being run, for hints that quote an option (JSON when absent). */
  templateFormat?: TemplateFormat;
  /** Renders a late (run-time) template field with extra data such as {{.Path}}, {{.Image}}. */
  render: (text: string, data?: Record<string, string>) => string;
  signal: AbortSignal;
  /** A private host temp dir for this build, removed at cleanup. */
  tempDir: string;
  /** Register a value that must be masked in all output from now on. */
  addSecret(value: string): void;
  /** Environment of the kiln process (DOCKER_HOST etc.), for host-side tools. */
  hostEnv: NodeJS.ProcessEnv;
  /** Records host paths being created (partial files, temp dirs) in the run's journal. */
  track?: PathTracker;
  /** The step this component runs as, for events. */
  step?: StepRef;
  report?: ComponentReporter;
}

export interface ProvisionContext extends ComponentContext {
  comm: Communicator;
  /** Path in the container given to the step as KILN_OUTPUT, for the types that publish outputs. */
  outputFile?: string;
}

export interface Provisioner {
  provision(ctx: ProvisionContext): Promise<void>;
}

/** The import options a streamed import (export tee'd into docker-import) was made with. */
export interface StreamedImportKey {
  changes: string[] | undefined;
  platform: string | undefined;
}

export interface PostProcessorContext extends ComponentContext {
  engine: Engine;
  /**
   * An import of the builder's export made while it was written (src/run/streamed-import.ts):
   * the image for these options, claimed by the caller, or undefined (import the file then).
   */
  streamedImport?: { take(key: StreamedImportKey): Promise<string | undefined> };
  /** The run's identity, for names of containers a post-processor creates (docker-test). */
  identity?: RunIdentity;
  /** -force: overwrite existing output files (manifest). */
  force: boolean;
}

export interface PostProcessorResult {
  artifact: Artifact;
  /** Packer's (keep, forceOverride) pair: see reference §b.3. */
  keep: boolean;
  forceKeep: boolean;
  /**
   * The artifact is the input, unchanged (docker-test): the sequence goes on as if this
   * post-processor were not there, for keep_input_artifact's rules and the artifact list.
   */
  passThrough?: boolean;
}

export interface PostProcessor {
  process(ctx: PostProcessorContext, input: Artifact): Promise<PostProcessorResult>;
}

/** Factories receive the validated config (typed by each component's schema). */
export type ProvisionerFactory = (config: Record<string, unknown>) => Provisioner;
export type PostProcessorFactory = (config: Record<string, unknown>) => PostProcessor;
