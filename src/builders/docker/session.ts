// The docker builder's BuildSession: the runner's view of the build's image and container while
// provisioners run (see core/builder.ts).
import type { BuilderContext, BuildSession } from "../../core/builder.js";
import type { Communicator } from "../../core/communicator.js";
import { containerSettings } from "./container-spec.js";
import { createContainer, removeContainer, startContainer } from "./steps/container.js";
import type { DockerBuildState } from "./state.js";

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

  get settings(): Readonly<Record<string, unknown>> {
    return this.state.plan ? containerSettings(this.state.plan, this.state.config) : {};
  }

  async communicator(): Promise<Communicator> {
    const running = this.state.container;
    if (running && running.imageId === this.state.imageId) return running.comm;
    if (running) await removeContainer(this.state, this.ctx);
    await createContainer(this.state, this.ctx, this.state.imageId);
    await startContainer(this.state, this.ctx);
    return this.state.container!.comm;
  }

  async snapshot(comment: string): Promise<string> {
    const running = this.state.container;
    if (!running) throw new Error("internal: snapshot without a container");
    const imageId = await this.ctx.engine.commitContainer(running.id, { comment });
    running.imageId = imageId;
    this.state.imageId = imageId;
    return imageId;
  }

  async resumeFrom(imageId: string): Promise<void> {
    if (this.state.container && this.state.container.imageId !== imageId) {
      await removeContainer(this.state, this.ctx);
    }
    this.state.imageId = imageId;
  }

  keepContainer(): string | undefined {
    const running = this.state.container;
    if (!running) return undefined;
    this.ctx.cleanup.release(running.cleanupKey);
    return running.id;
  }
}
