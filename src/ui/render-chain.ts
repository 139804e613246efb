// Renders a chain's own events: its nodes announced, each node's start and end marked with the
// node (`[node] …`), and the summary: every node with its status and time (built, cached, failed,
// cancelled, skipped and why). Machine-readable output gets one `chain-node` record per change,
// with its time in ms since the run started (`t`), so the timeline can be read back.
import type { ChainNodeInfo, EventOf, RunEvent } from "../core/events.js";
import { formatDuration } from "./duration.js";
import type { Ui } from "./ui.js";

const dur = (ms: number) => formatDuration(BigInt(Math.round(ms * 1e6)));
const ms = (t: number) => String(Math.round(t));

const KINDS = new Set(["chain-started", "node-started", "node-finished", "node-skipped", "chain-finished"]);

type NodeLine =
  { kind: "finished"; event: EventOf<"node-finished"> } | { kind: "skipped"; event: EventOf<"node-skipped"> };

export function renderChainEvent(ui: Ui): { handles(e: RunEvent): boolean; render(e: RunEvent): void } {
  let infos: ChainNodeInfo[] = [];
  const results = new Map<string, NodeLine>();
  const nodeUi = (node: string): Ui => ui.forNode?.(node) ?? ui;

  const render = (e: RunEvent): void => {
    switch (e.kind) {
      case "chain-started": {
        infos = e.nodes;
        ui.announceBuilds?.(e.selected);
        const limits = Object.entries(e.parallel)
          .map(([engine, n]) => `${n} at once on engine ${engine}`)
          .join(", ");
        ui.say(`==> Chain: ${e.selected.length} of ${e.nodes.length} node(s) to build, ${limits}`);
        ui.machine("", "chain", "started", ms(e.t), String(e.selected.length), String(e.nodes.length));
        return;
      }
      case "node-started": {
        const info = infos.find((i) => i.name === e.node);
        const needs = info?.needs.length
          ? `, needs ${[...new Set(info.needs.map((n) => n.node))].join(", ")}`
          : "";
        nodeUi(e.node).say(`Starting: ${info?.kind ?? "node"} ${info?.file ?? ""}${needs}`);
        ui.machine(e.node, "chain-node", "started", ms(e.t), e.engine);
        return;
      }
      case "node-finished": {
        results.set(e.node, { kind: "finished", event: e });
        const u = nodeUi(e.node);
        const what = e.tags.length ? `: ${e.tags.join(", ")}` : "";
        if (e.status === "built") u.say(`Built in ${dur(e.durationMs)}${what}`);
        else if (e.status === "cached") u.say(`Up to date (every step cached), ${dur(e.durationMs)}${what}`);
        else if (e.status === "cancelled") u.error(`Cancelled after ${dur(e.durationMs)}`);
        else u.error(`Failed after ${dur(e.durationMs)}: ${e.failure?.message ?? ""}`);
        ui.machine(
          e.node,
          "chain-node",
          e.status,
          ms(e.t),
          ms(e.durationMs),
          e.tags.join(" "),
          e.imageId ?? "",
          e.failure?.message ?? "",
        );
        return;
      }
      case "node-skipped": {
        results.set(e.node, { kind: "skipped", event: e });
        if (e.reason !== "not-selected") nodeUi(e.node).say(e.message.replace(/^./, (c) => c.toUpperCase()));
        ui.machine(e.node, "chain-node", "skipped", ms(e.t), e.reason, e.failed ?? "", e.message);
        return;
      }
      case "chain-finished": {
        const counts: string[] = [`${e.built} built`, `${e.cached} cached`, `${e.failed} failed`];
        const cancelled = [...results.values()].filter(
          (r) => r.kind === "finished" && r.event.status === "cancelled",
        ).length;
        if (cancelled > 0) counts.push(`${cancelled} cancelled`);
        counts.push(`${e.skipped - cancelled} skipped`);
        ui.say(`\n==> Chain finished after ${dur(e.durationMs)}: ${counts.join(", ")}`);
        ui.machine(
          "",
          "chain",
          "finished",
          ms(e.t),
          ms(e.durationMs),
          String(e.built),
          String(e.cached),
          String(e.failed),
          String(e.skipped),
        );
        for (const info of infos) {
          const r = results.get(info.name);
          if (!r) continue;
          if (r.kind === "skipped") {
            ui.say(`--> ${info.name}: ${r.event.message}`);
            continue;
          }
          const f = r.event;
          const images = f.tags.length ? `: ${f.tags.join(", ")}` : f.imageId ? `: ${f.imageId}` : "";
          if (f.status === "built" || f.status === "cached") {
            ui.say(`--> ${info.name}: ${f.status} in ${dur(f.durationMs)}${images}`);
          } else if (f.status === "cancelled")
            ui.error(`--> ${info.name}: cancelled after ${dur(f.durationMs)}`);
          else ui.error(`--> ${info.name}: failed after ${dur(f.durationMs)}: ${f.failure?.message ?? ""}`);
        }
        if (e.cancelled) ui.say("Cleanly cancelled the chain after being interrupted.");
        return;
      }
      default:
        return;
    }
  };
  return { handles: (e) => KINDS.has(e.kind), render };
}
