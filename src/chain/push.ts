// A native node's `push` targets: the built image tagged as each reference and pushed with Docker's
// credentials for its registry; each push is a step of the node (post-process phase).
import { errorMessage } from "../core/errors.js";
import type { StepRef } from "../core/events.js";
import { PushedBytes } from "../core/pushed-bytes.js";
import { TransferTally } from "../core/transfer-tally.js";
import { ImageReference } from "../engine/reference.js";
import { eventBuildUi } from "../ui/event-ui.js";
import type { NodeContext } from "./node-context.js";

export async function pushTargets(
  ctx: NodeContext,
  imageId: string,
  targets: readonly string[],
): Promise<{ pushed: { ref: string; digest: string; bytes?: number }[]; error?: string }> {
  const build = "push";
  const ui = eventBuildUi(ctx.bus, ctx.env.ui, build);
  const pushed: { ref: string; digest: string; bytes?: number }[] = [];
  for (const [index, target] of targets.entries()) {
    const ref = ImageReference.parse(target);
    const step: StepRef = { phase: "post-process", index, name: `push ${target}`, type: "push" };
    ctx.bus.emit({ kind: "step-started", build, step });
    const started = ctx.bus.elapsed();
    try {
      ui.say(`Pushing ${target}`);
      await ctx.engine.tagImage(imageId, ref.familiarName, ref.tagOrLatest);
      const auth = await ctx.env.registryAuth?.(ref.registry, ui);
      const uploaded = new PushedBytes();
      const tally = new TransferTally();
      const { digest } = await ctx.engine.pushImage(ref.familiarName, ref.tagOrLatest, {
        ...(auth ? { auth } : {}),
        signal: ctx.signal,
        onProgress: (event) => {
          uploaded.event(event);
          const moved = tally.event(event);
          if (moved)
            ctx.bus.emit({ kind: "transfer", build, step, direction: "push", ref: target, ...moved });
        },
      });
      ui.say(`Pushed ${target}@${digest}`);
      const bytes = uploaded.bytes;
      pushed.push({ ref: target, digest, ...(bytes !== undefined ? { bytes } : {}) });
      ctx.bus.emit({
        kind: "step-finished",
        build,
        step,
        status: "ok",
        durationMs: ctx.bus.elapsed() - started,
      });
    } catch (e) {
      const cancelled = ctx.signal.aborted;
      const message = `push ${target} failed: ${errorMessage(e)}`;
      ctx.bus.emit({
        kind: "step-finished",
        build,
        step,
        status: cancelled ? "cancelled" : "failed",
        durationMs: ctx.bus.elapsed() - started,
        failure: { phase: "post-process", step: step.name, message, causes: [], cancelled },
      });
      if (!cancelled) ui.error(message);
      return { pushed, error: message };
    }
  }
  return { pushed };
}
