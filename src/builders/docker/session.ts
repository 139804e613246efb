// The docker builder's BuildSession: the runner's view of the build's image and container while
// provisioners run (see core/builder.ts).
//
// Snapshots (the per-step cache) commit the running container as it is and keep using it: a
// container start costs several times an exec, so steps do not get a new container each. A
// snapshot's layer is therefore everything since the container was created; once that exceeds
// REBASE_BYTES, the container is replaced by one started from the snapshot, so later snapshots do
// not carry the same data again. Every step image is an image of the build's chain plus one layer.
import type { BuilderContext, BuildSession } from "../../core/builder.js";
import type { Communicator } from "../../core/communicator.js";
import { containerSettings } from "./container-spec.js";
import { createContainer, removeContainer, startContainer } from "./steps/container.js";
import type { DockerBuildState } from "./state.js";
import { dropContainerDir, ensureContainerDir, isContainerDirTop } from "./container-dir.js";

/** Above this many bytes in a snapshot's layer, the next steps run in a container started from it. */
export const REBASE_BYTES = 16 * 1024 * 1024;

export class DockerBuildSession implements BuildSession {
  constructor(
    private readonly state: DockerBuildState,
    private readonly ctx: BuilderContext,
  ) {}

  get imageId(): string {
    return this.state.imageId ?? "";
  }

  get containerId(): string | undefined {
    return this.state.container?.id;
  }

  get tempDir(): string {
    return this.state.tempDir ?? "";
  }

  get scratchDir(): string | undefined {
    return this.state.container?.containerDir?.made;
  }

  get settings(): Readonly<Record<string, unknown>> {
    return this.state.plan ? containerSettings(this.state.plan, this.state.config) : {};
  }

  async communicator(): Promise<Communicator> {
    const running = this.state.container;
    if (!(running?.started && running.atImage === this.state.imageId)) {
      if (running && running.atImage !== this.state.imageId) await removeContainer(this.state, this.ctx);
      if (!this.state.container) await createContainer(this.state, this.ctx, this.state.imageId);
      await startContainer(this.state, this.ctx);
    }
    // Templates look at container_dir (Packer bind-mounts it there).
    await ensureContainerDir(this.state, this.ctx);
    const container = this.state.container!;
    delete container.cleanAt; // the step may change it
    return container.comm;
  }

  async snapshot(comment: string, options: { keepScratch?: boolean } = {}): Promise<string> {
    const running = this.state.container;
    if (!running) throw new Error("internal: snapshot without a container");
    const { engine } = this.ctx;
    // Freezing the container only matters when something besides its idle shell could write
    // during the commit (a daemon an earlier step started); pausing costs as much as the commit.
    // Listing the processes (the daemon runs `ps` on the host) goes on while the container is
    // committed unpaused: no step runs meanwhile, so a process that could write is one that was
    // there already, and the list shows it; then that commit is discarded and made again paused.
    const kept = options.keepScratch ? running.containerDir?.made : undefined;
    if (kept === undefined) await dropContainerDir(this.state, this.ctx);
    const [unpaused, processes] = await Promise.all([
      engine.commitContainer(running.id, { comment, pause: false }),
      engine.containerProcesses(running.id).catch(() => 2),
    ]);
    let imageId = unpaused;
    if (processes > 1) {
      this.ctx.ui.message(
        `${processes} processes run in the container (one started by a step?): committing it again, paused`,
      );
      await engine.removeImage(unpaused, { force: true });
      imageId = await engine.commitContainer(running.id, { comment, pause: true });
    }
    running.atImage = imageId;
    running.cleanAt = imageId;
    this.state.imageId = imageId;
    if (kept !== undefined) (this.state.scratchImages ??= new Map()).set(imageId, kept);
    if ((await writtenSinceCreated(this.state, this.ctx, imageId)) > REBASE_BYTES) {
      await removeContainer(this.state, this.ctx);
    }
    return imageId;
  }

  async resumeFrom(imageId: string, options: { scratch?: string } = {}): Promise<void> {
    if (this.state.container && this.state.container.atImage !== imageId) {
      await removeContainer(this.state, this.ctx);
    }
    this.state.imageId = imageId;
    const { scratch } = options;
    // The key hashes container_dir, so an entry's scratch is this build's; checked all the same.
    if (scratch !== undefined && isContainerDirTop(scratch, this.state.config.container_dir)) {
      (this.state.scratchImages ??= new Map()).set(imageId, scratch);
    }
  }

  keepContainer(): string | undefined {
    const running = this.state.container;
    if (!running) return undefined;
    this.ctx.cleanup.release(running.cleanupKey);
    return running.id;
  }
}

/**
 * The bytes the running container wrote since it was created: the engine's `SizeRw`, else (an
 * engine that does not report it) the growth of the image size. Image sizes alone do not do: on
 * the containerd image store an image's `Size` counts compressed content, so 17 MB of zeros
 * weigh a few KB there and the container would never be replaced.
 */
async function writtenSinceCreated(
  state: DockerBuildState,
  ctx: BuilderContext,
  imageId: string,
): Promise<number> {
  const running = state.container!;
  const written = (await ctx.engine.inspectContainer(running.id, { size: true }))?.SizeRw;
  if (typeof written === "number" && written >= 0) return written;
  running.createdFromSize ??= (await ctx.engine.inspectImage(running.createdFrom))?.Size ?? 0;
  return ((await ctx.engine.inspectImage(imageId))?.Size ?? 0) - running.createdFromSize;
}
