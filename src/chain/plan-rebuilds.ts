// `kiln plan CHAIN`: each Packer node planned as `kiln plan` plans a template (run/plan-build.ts),
// then, in dependency order, a node that rebuilds makes the nodes that use its image rebuild
// because of it (their base image, or what they copy from it, gets a new ID), and a node that may
// rebuild makes them "may rebuild". Dockerfile nodes are not predicted: docker build's own cache
// decides, so plan says it does not know.
import { imageKey } from "./image-key.js";
import type { Edge } from "./model.js";
import type { BuildPlan } from "../run/plan-build.js";

export interface NodePlan {
  name: string;
  kind: "packer" | "dockerfile";
  /** true: rebuilds; false: every step cached; null: cannot be known. */
  rebuilds: boolean | null;
  /** Why, when it is not its own steps: the node it depends on that (may) rebuild. */
  because?: { node: string; why: Edge["why"]; image?: string };
  reason?: string;
  builds: BuildPlan[];
}

/**
 * Marks dependents, in dependency order: `edges` run from the node that needs another (`from`) to
 * the one it needs (`to`); only edges between planned nodes count.
 */
export function propagateRebuilds(nodes: NodePlan[], edges: readonly Edge[]): NodePlan[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const visit = (n: NodePlan, path: Set<string>): void => {
    if (done.has(n.name) || path.has(n.name)) return;
    path.add(n.name);
    const needs = edges.filter((e) => e.from === n.name && byName.has(e.to) && e.to !== n.name);
    for (const e of needs) visit(byName.get(e.to)!, path);
    if (n.rebuilds !== true) {
      const rebuilt = needs.find((e) => byName.get(e.to)!.rebuilds === true);
      const maybe = needs.find((e) => byName.get(e.to)!.rebuilds === null);
      const cause = rebuilt ?? (n.rebuilds === false ? maybe : undefined);
      if (cause) {
        const dep = byName.get(cause.to)!;
        n.because = { node: dep.name, why: cause.why, ...(cause.image ? { image: cause.image } : {}) };
        n.rebuilds = rebuilt ? true : null;
        n.reason = `${rebuilt ? "rebuilds" : "may rebuild"} because node ${dep.name} ${rebuilt ? "rebuilds" : "may rebuild"} and this node uses ${cause.image ? `its image ${cause.image}` : "it"} (${cause.why})`;
        if (rebuilt) markBuilds(n, cause.image, dep.name);
      }
    }
    path.delete(n.name);
    done.add(n.name);
  };
  for (const n of nodes) visit(n, new Set());
  return nodes;
}

/** The builds whose base image is the rebuilt node's image: every step runs (its base is new). */
function markBuilds(n: NodePlan, image: string | undefined, dep: string): void {
  for (const b of n.builds) {
    if (image !== undefined && (imageKey(b.image) ?? b.image) !== (imageKey(image) ?? image)) continue;
    b.rebuilds = true;
    b.steps = b.steps.map((s) => ({
      step: s.step,
      name: s.name,
      type: s.type,
      decision: "run",
      cause: "dependency",
      reason: `node ${dep} rebuilds ${image ?? "the image this build uses"}: the base image ID will be new`,
    }));
  }
}
