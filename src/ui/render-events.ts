// Renders run events through a Ui (human or machine-readable): output lines with their build's
// prefix, Packer's `Build 'x' finished after …` lines, and the end-of-run summary with the
// artifacts of successful builds, in the order the builds were announced.
import type { EventOf, RunEvent } from "../core/events.js";
import { artifactFiles, artifactId, describeArtifact } from "../core/artifact.js";
import { formatDuration } from "./duration.js";
import type { Ui } from "./ui.js";
import { renderChainEvent } from "./render-chain.js";

const dur = (ms: number) => formatDuration(BigInt(Math.round(ms * 1e6)));

/**
 * `node`: the renderer of one chain node's events (through `ui.forNode`): its builds' lines and
 * `Build 'x' finished` lines, but not Packer's run announcement and summary (the chain's own
 * summary lists the nodes).
 */
export function renderEvents(ui: Ui, node?: string): (event: RunEvent) => void {
  let order: string[] = [];
  const finished = new Map<string, EventOf<"build-finished">>();
  const targets = new Map<string, ReturnType<Ui["forBuild"]>>();

  const targetUi = (build: string, target: string) => {
    let t = targets.get(target);
    if (!t) {
      const base = ui.forBuild(build);
      t = target === build ? base : base.child(target.slice(build.length + 2, -1));
      targets.set(target, t);
    }
    return t;
  };

  const summary = (e: EventOf<"run-finished">): void => {
    ui.say(`\n==> Wait completed after ${dur(e.durationMs)}`);
    if (e.cancelled) {
      ui.say("Cleanly cancelled builds after being interrupted.");
      return;
    }
    const outcomes = order.flatMap((name) => {
      const f = finished.get(name);
      return f ? [f] : [];
    });
    const failed = outcomes.filter((o) => o.status !== "ok");
    if (failed.length > 0) {
      ui.machine("", "error-count", String(failed.length));
      ui.error("\n==> Some builds didn't complete successfully and had errors:");
      for (const o of failed) {
        ui.machine(o.build, "error", o.failure?.message ?? "");
        ui.error(`--> ${o.build}: ${o.failure?.message ?? ""}`);
      }
    }
    const ok = outcomes.filter((o) => o.status === "ok" && o.artifacts.length > 0);
    if (ok.length === 0) {
      ui.say("\n==> Builds finished but no artifacts were created.");
      return;
    }
    ui.say("\n==> Builds finished. The artifacts of successful builds are:");
    for (const o of ok) {
      ui.machine(o.build, "artifact-count", String(o.artifacts.length));
      for (const [i, a] of o.artifacts.entries()) {
        const files = artifactFiles(a);
        ui.machine(o.build, "artifact", String(i), "builder-id", a.builderId);
        ui.machine(o.build, "artifact", String(i), "id", artifactId(a));
        ui.machine(o.build, "artifact", String(i), "string", describeArtifact(a));
        ui.machine(o.build, "artifact", String(i), "files-count", String(files.length));
        for (const [j, f] of files.entries())
          ui.machine(o.build, "artifact", String(i), "file", String(j), f);
        ui.machine(o.build, "artifact", String(i), "end");
        ui.say(`--> ${o.build}: ${describeArtifact(a)}`);
      }
    }
  };

  const nodes = new Map<string, (event: RunEvent) => void>();
  const chain = renderChainEvent(ui);

  return (event) => {
    if (event.node !== undefined && node === undefined && ui.forNode && !chain.handles(event)) {
      let render = nodes.get(event.node);
      if (!render) {
        render = renderEvents(ui.forNode(event.node), event.node);
        nodes.set(event.node, render);
      }
      render(event);
      return;
    }
    if (chain.handles(event)) {
      chain.render(event);
      return;
    }
    switch (event.kind) {
      case "run-started":
        order = [...event.builds];
        if (node === undefined) ui.announceBuilds?.(event.builds);
        return;
      case "output": {
        if (event.build === undefined) {
          if (event.level === "error") ui.error(event.text);
          else ui.say(event.text);
          return;
        }
        const t = targetUi(event.build, event.target ?? event.build);
        t[event.level](event.text);
        return;
      }
      case "build-finished": {
        finished.set(event.build, event);
        if (!order.includes(event.build)) order.push(event.build);
        const plain = ui.forBuild(event.build).unprefixed?.() ?? ui;
        if (event.status === "ok")
          plain.say(`Build '${event.build}' finished after ${dur(event.durationMs)}.`);
        else
          plain.error(
            `Build '${event.build}' errored after ${dur(event.durationMs)}: ${event.failure?.message ?? ""}`,
          );
        return;
      }
      case "run-finished":
        if (node === undefined) summary(event);
        return;
      default:
        return;
    }
  };
}
