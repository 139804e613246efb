// The BuildUi components write to: every line becomes an `output` run event (masked first), and
// the renderers (human, machine-readable), the report and a progress display consume the events.
// Terminal-only abilities (asking a question, output backpressure) go to the renderer directly.
import type { EventBus } from "../core/events.js";
import type { BuildUi, Ui } from "./ui.js";

export function eventBuildUi(bus: EventBus, renderer: Ui, build: string, target: string = build): BuildUi {
  const emit = (level: "say" | "message" | "error", msg: string): void =>
    bus.emit({ kind: "output", build, target, level, text: renderer.mask(msg) });
  const terminal = renderer.forBuild(build);
  const asker = target === build ? terminal : terminal.child(target.slice(build.length + 2, -1));
  return {
    say: (msg) => emit("say", msg),
    message: (msg) => emit("message", msg),
    error: (msg) => emit("error", msg),
    child: (suffix) => eventBuildUi(bus, renderer, build, `${target} (${suffix})`),
    ready: () => terminal.ready?.(),
    ask: asker.ask ? (question) => asker.ask!(question) : undefined,
  };
}

/** Lines outside any build (`==> Wait completed…`, notes before the builds start). */
export function eventPlainUi(
  bus: EventBus,
  renderer: Ui,
): { say(msg: string): void; error(msg: string): void } {
  return {
    say: (msg) => bus.emit({ kind: "output", level: "say", text: renderer.mask(msg) }),
    error: (msg) => bus.emit({ kind: "output", level: "error", text: renderer.mask(msg) }),
  };
}
