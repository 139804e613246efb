// The commit step: the container becomes the image artifact, with `changes`, author and message,
// and the base image's CMD/ENTRYPOINT restored (see commit-changes.ts).
import type { BuilderContext } from "../../../core/builder.js";
import { commitChanges } from "../commit-changes.js";
import { containerAtSessionImage } from "./container.js";
import { dropContainerDirForResult } from "../container-dir.js";
import type { DockerStep } from "../state.js";

export function commitStep(ctx: BuilderContext): DockerStep {
  return {
    name: "commit",
    async run(state) {
      const { engine, ui, signal } = ctx;
      await dropContainerDirForResult(state, ctx);
      const container = await containerAtSessionImage(state, ctx);
      const c = state.config;
      ui.say("Committing the container");
      // Deliberately not cancellable: the engine finishes a commit even when the client goes away,
      // so abandoning the request would leave an untagged image nobody knows about (reliability
      // bar #21). Wait for it, then remove the image if the build was cancelled meanwhile.
      const onAbort = () => ui.say("Waiting for the engine to finish the commit, to remove its image...");
      signal.addEventListener("abort", onAbort, { once: true });
      let imageId: string;
      try {
        imageId = await engine.commitContainer(container.id, {
          ...commitChanges(c.changes, state.base?.Config, state.plan?.spec.Entrypoint !== undefined),
          author: c.author || undefined,
          comment: c.message || undefined,
        });
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
      if (signal.aborted) {
        ui.say(`Removing the image committed after the build was cancelled: ${imageId}`);
        await engine.removeImage(imageId, { force: true });
        signal.throwIfAborted();
      }
      ui.message(`Image ID: ${imageId}`);
      ctx.buildData.ImageSha256 = imageId;
      state.artifact = {
        kind: "image",
        builderId: "packer.post-processor.docker-import",
        imageId,
        id: imageId,
        tags: [],
      };
    },
  };
}
