// The docker builder's typed state, passed from step to step (Packer's state bag, typed).
import type { ImageInspect } from "../../engine/types.js";
import type { BuildDef } from "../../template/types.js";
import type { Artifact } from "../../core/artifact.js";
import type { DockerBuilderConfig } from "./schema.js";
import type { ContainerPlan } from "./container-spec.js";
import type { DockerCommunicator } from "./communicator.js";

export interface RunningContainer {
  id: string;
  /** The image it was created from: what its next commit's layer is diffed against. */
  createdFrom: string;
  /** The content it holds: `createdFrom`, or the image its last snapshot produced. */
  atImage: string;
  /**
   * The step image this container's filesystem equals: set by a snapshot, cleared as soon as a
   * step may change the container again.
   */
  cleanAt?: string;
  /** Started (a container created only to be committed or exported is not). */
  started: boolean;
  /** Size of `createdFrom`, once asked (a snapshot's layer is its size minus this). */
  createdFromSize?: number;
  comm: DockerCommunicator;
  /**
   * container_dir, once a step asked: `made` is the topmost directory kiln made for it (removed
   * before the last step's snapshot and the result's commit), undefined when the image has it.
   */
  containerDir?: { made: string | undefined };
  /**
   * The topmost directory kiln made for container_dir and removed before a snapshot (the last
   * step's): a step after it makes it again with one `mkdir -p` exec, half the cost of an archive
   * upload (the stat of each ancestor is known already).
   */
  containerDirRemoved?: string;
  /** The description its removal is registered under in the cleanup stack. */
  cleanupKey: string;
}

export interface DockerBuildState {
  readonly build: BuildDef;
  readonly config: DockerBuilderConfig;
  tempDir?: string;
  /** The resolved base image (after the pull). */
  base?: ImageInspect;
  plan?: ContainerPlan;
  /** The image the next step starts from: the base image's ID, then each snapshot's. */
  imageId?: string;
  container?: RunningContainer;
  /**
   * Images that keep the container_dir kiln made (step snapshots that are not the build's last,
   * and cache entries that say so), with its topmost directory: a container started from one has
   * it already, and the result's commit removes it.
   */
  scratchImages?: Map<string, string>;
  artifact?: Artifact;
}

/** A step of the docker builder: Packer's multistep.Step with cleanup registered in `run`. */
export interface DockerStep {
  readonly name: string;
  run(state: DockerBuildState): Promise<void>;
}
