// Graph algorithms over the chain's edges (`from` needs `to`): cycle detection with the whole
// path, dependencies and dependents (transitive), and an order that runs dependencies first with
// list order breaking ties.
import type { Edge } from "./model.js";

/** The edges of one cycle in path order (`a -> b`, `b -> a`), or undefined. Deterministic: list order. */
export function findCycle(names: readonly string[], edges: readonly Edge[]): Edge[] | undefined {
  const out = adjacency(names, edges);
  const state = new Map<string, "visiting" | "done">();
  const stack: Edge[] = [];
  const visit = (node: string): Edge[] | undefined => {
    state.set(node, "visiting");
    for (const e of out.get(node) ?? []) {
      const s = state.get(e.to);
      if (s === "visiting") {
        const start = stack.findIndex((x) => x.from === e.to);
        return [...(start === -1 ? [] : stack.slice(start)), e];
      }
      if (s === undefined) {
        stack.push(e);
        const found = visit(e.to);
        if (found) return found;
        stack.pop();
      }
    }
    state.set(node, "done");
    return undefined;
  };
  for (const n of names) {
    if (state.has(n)) continue;
    const found = visit(n);
    if (found) return found;
  }
  return undefined;
}

function adjacency(names: readonly string[], edges: readonly Edge[]): Map<string, Edge[]> {
  const order = new Map(names.map((n, i) => [n, i]));
  const out = new Map<string, Edge[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  for (const list of out.values()) list.sort((a, b) => (order.get(a.to) ?? 0) - (order.get(b.to) ?? 0));
  return out;
}

/** Everything `start` needs, transitively (without `start`). */
export function dependenciesOf(start: string, edges: readonly Edge[]): Set<string> {
  return reach(start, edges, (e) => [e.from, e.to]);
}

/** Everything that needs `start`, transitively (without `start`). */
export function dependentsOf(start: string, edges: readonly Edge[]): Set<string> {
  return reach(start, edges, (e) => [e.to, e.from]);
}

function reach(start: string, edges: readonly Edge[], dir: (e: Edge) => [string, string]): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const n = queue.shift()!;
    for (const e of edges) {
      const [a, b] = dir(e);
      if (a === n && !seen.has(b) && b !== start) {
        seen.add(b);
        queue.push(b);
      }
    }
  }
  return seen;
}

/** Dependencies first; among nodes that could go next, list order. Assumes no cycle. */
export function topologicalOrder(names: readonly string[], edges: readonly Edge[]): string[] {
  const inSet = new Set(names);
  const remaining = new Set(names);
  const out: string[] = [];
  while (remaining.size > 0) {
    const next = names.find(
      (n) => remaining.has(n) && edges.every((e) => e.from !== n || !inSet.has(e.to) || !remaining.has(e.to)),
    );
    if (next === undefined) break;
    remaining.delete(next);
    out.push(next);
  }
  return out;
}
