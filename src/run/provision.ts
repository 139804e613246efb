// Runs a build's provisioners in order with Packer's core options: pause_before, timeout,
// max_retries (reference §c.2), with clearer messages than Packer's ("context canceled").
import type { ProvisionerDef } from "../template/types.js";
import type { ProvisionContext } from "../core/component.js";
import type { ComponentRegistry } from "../core/registry.js";
import { BuildError, errorMessage } from "../core/errors.js";
import { resolveBuildData } from "../core/build-data.js";

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => (
        clearTimeout(t),
        reject(signal.reason instanceof Error ? signal.reason : new Error("cancelled"))
      ),
      { once: true },
    );
  });
}

export async function runProvisioner(
  def: ProvisionerDef,
  index: number,
  ctx: ProvisionContext,
  registry: ComponentRegistry,
): Promise<void> {
  const factory = registry.provisioners[def.type]?.create;
  if (!factory) throw new Error(`internal: no provisioner implementation for ${def.type}`);
  if (def.pauseBeforeMs > 0) {
    ctx.ui.say(`Pausing ${seconds(def.pauseBeforeMs)} before the next provisioner...`);
    await sleep(def.pauseBeforeMs, ctx.signal);
  }
  let attemptsLeft = def.maxRetries;
  for (;;) {
    // A cancellation that came before this provisioner (while the container was being created,
    // say) must stop it: the listener below only hears aborts still to come.
    ctx.signal.throwIfAborted();
    const controller = new AbortController();
    const onAbort = () => controller.abort(ctx.signal.reason);
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (def.timeoutMs > 0) {
      ctx.ui.say(`Setting a ${seconds(def.timeoutMs)} timeout for the next provisioner...`);
      timer = setTimeout(() => {
        timedOut = true;
        ctx.ui.say("Cancelling provisioner after a timeout...");
        controller.abort(new BuildError("timeout"));
      }, def.timeoutMs);
    }
    try {
      const p = factory(
        resolveBuildData(def.config, ctx.buildData, `provisioner ${index + 1} (${def.type})`),
      );
      await p.provision({ ...ctx, signal: controller.signal });
      return;
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      const err = timedOut
        ? new BuildError(
            `provisioner ${index + 1} (${def.type}) timed out after ${seconds(def.timeoutMs)} (its "timeout" option)`,
          )
        : e;
      if (attemptsLeft <= 0) {
        if (def.maxRetries > 0) ctx.ui.error("retry limit reached.");
        throw err;
      }
      ctx.ui.error(
        `Provisioner failed with "${errorMessage(err)}", retrying with ${attemptsLeft} trie(s) left`,
      );
      attemptsLeft--;
    } finally {
      if (timer) clearTimeout(timer);
      ctx.signal.removeEventListener("abort", onAbort);
    }
  }
}
