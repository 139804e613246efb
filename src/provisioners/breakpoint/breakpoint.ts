// Packer's `breakpoint` provisioner: pause the build until Enter is pressed, to look inside the
// container. Without a terminal Packer fails reading stdin; kiln says it cannot wait and goes on.
import type { Provisioner, ProvisionContext } from "../../core/component.js";
import type { BreakpointConfig } from "./schema.js";

export class BreakpointProvisioner implements Provisioner {
  constructor(private readonly c: BreakpointConfig) {}

  async provision(ctx: ProvisionContext): Promise<void> {
    const { note, disable } = this.c;
    if (disable) {
      ctx.ui.say(
        note
          ? `Breakpoint provisioner with note "${note}" disabled; continuing...`
          : "Breakpoint provisioner disabled; continuing...",
      );
      return;
    }
    ctx.ui.say(
      note ? `Pausing at breakpoint provisioner with note "${note}".` : "Pausing at breakpoint provisioner.",
    );
    const answer = ctx.ui.ask
      ? await untilAborted(ctx.ui.ask("Press enter to continue."), ctx.signal)
      : undefined;
    if (answer === undefined) {
      ctx.ui.say("Not running on a terminal, so not waiting at the breakpoint; continuing...");
    }
  }
}

/** The answer, or the abort reason thrown when the build is cancelled while waiting. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(signal.reason instanceof Error ? signal.reason : new Error("the build was cancelled"));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e: unknown) => (
        signal.removeEventListener("abort", onAbort),
        reject(e instanceof Error ? e : new Error(String(e)))
      ),
    );
  });
}

export function createBreakpointProvisioner(config: Record<string, unknown>): Provisioner {
  return new BreakpointProvisioner(config as unknown as BreakpointConfig);
}
