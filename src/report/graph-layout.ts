// A layered left-to-right layout for the chain graph: a node's column is the length of the longest
// path of needs leading to it, its row its place in that column (list order). Simple and stable:
// chains are DAGs of tens of nodes, not thousands.
import type { GraphNode } from "./model.js";

export interface Box {
  name: string;
  kind: GraphNode["kind"];
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Edge {
  from: string;
  to: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

const W = 170;
const H = 30;
const GAP_X = 60;
const GAP_Y = 14;
const PAD = 10;

export function layoutGraph(nodes: readonly GraphNode[]): {
  width: number;
  height: number;
  boxes: Box[];
  edges: Edge[];
} {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle cannot reach a run, but never loop on one
    seen.add(name);
    const needs = (byName.get(name)?.needs ?? []).filter((e) => byName.has(e.node));
    const d = needs.length === 0 ? 0 : 1 + Math.max(...needs.map((e) => depthOf(e.node, seen)));
    depth.set(name, d);
    return d;
  };
  const columns: string[][] = [];
  for (const n of nodes) (columns[depthOf(n.name, new Set())] ??= []).push(n.name);
  const boxes = new Map<string, Box>();
  columns.forEach((names, c) =>
    (names ?? []).forEach((name, r) =>
      boxes.set(name, {
        name,
        kind: byName.get(name)!.kind,
        x: PAD + c * (W + GAP_X),
        y: PAD + r * (H + GAP_Y),
        w: W,
        h: H,
      }),
    ),
  );
  const edges: Edge[] = [];
  for (const n of nodes) {
    const to = boxes.get(n.name)!;
    for (const e of n.needs) {
      const from = boxes.get(e.node);
      if (!from) continue;
      edges.push({
        from: e.node,
        to: n.name,
        x1: from.x + from.w,
        y1: from.y + from.h / 2,
        x2: to.x,
        y2: to.y + to.h / 2,
      });
    }
  }
  const rows = Math.max(1, ...columns.map((c) => c?.length ?? 0));
  return {
    width: PAD * 2 + Math.max(1, columns.length) * (W + GAP_X) - GAP_X,
    height: PAD * 2 + rows * (H + GAP_Y) - GAP_Y,
    boxes: [...boxes.values()],
    edges,
  };
}
