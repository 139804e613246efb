// `kiln plan CHAIN`: the chain read and planned as `kiln chain` reads it (nothing built, no
// engine until the nodes are planned), each selected Packer node's builds planned as a template's,
// then rebuilds carried to the nodes that use a rebuilt image (chain/plan-rebuilds.ts).
import { readChain } from "../../chain/read-chain.js";
import { planChain, problemsOf, type ChainPlan } from "../../chain/plan.js";
import { selectNodes } from "../../chain/select.js";
import { imageKey } from "../../chain/image-key.js";
import { loadTemplate as loadTemplateFile } from "../../template/load.js";
import { formatDiagnostic } from "../../template/diagnostic.js";
import type { LoadOptions } from "../../template/types.js";
import { planBuild, type PlanDeps } from "../../run/plan-build.js";
import { propagateRebuilds, type NodePlan } from "../../chain/plan-rebuilds.js";
import { formatPlan } from "../../run/plan-text.js";
import { checkTemplate } from "../load.js";

export interface LoadedChain {
  plan: ChainPlan;
  selected: Set<string>;
}

export async function loadChainForPlan(
  file: string,
  only: readonly string[],
  err: (s: string) => void,
): Promise<LoadedChain> {
  const env = process.env;
  const read = await readChain([file], {
    cwd: process.cwd(),
    env,
    builderArgs: env.BUILDER_ARGS ?? "",
    squash: true,
    engines: ["default"],
  });
  for (const w of read.warnings) err(formatDiagnostic(w));
  const loadTemplate = async (path: string, opts: LoadOptions) =>
    checkTemplate(await loadTemplateFile(path, opts));
  const plan = await planChain(read.spec, { loadTemplate, env, startTime: new Date() });
  const selected = selectNodes(read.spec.nodes, plan.edges, { include: [...only], skip: [] });
  for (const w of problemsOf(plan, selected)) err(formatDiagnostic(w));
  return { plan, selected };
}

export async function planChainNodes(
  chain: LoadedChain,
  base: Omit<PlanDeps, "template" | "templateFile" | "cwd">,
): Promise<NodePlan[]> {
  const producers = new Map<string, string>();
  for (const n of chain.plan.nodes) {
    for (const image of n.produces) {
      const key = imageKey(image);
      if (key !== undefined) producers.set(key, n.spec.name);
    }
  }
  const nodes: NodePlan[] = [];
  for (const n of chain.plan.nodes) {
    if (!chain.selected.has(n.spec.name)) continue;
    const source = n.spec.source;
    if (source.kind !== "packer" || !n.template) {
      nodes.push({
        name: n.spec.name,
        kind: "dockerfile",
        rebuilds: null,
        reason: "a Dockerfile node: docker build's own cache decides, plan does not predict it",
        builds: [],
      });
      continue;
    }
    const builds = [];
    for (const build of n.builds ?? []) {
      builds.push(
        await planBuild(build, {
          ...base,
          template: n.template,
          // As the chain's Packer node records its entries (chain/node-packer.ts).
          templateFile: source.template,
          cwd: n.spec.workingDir,
          localImage: (image) => {
            const key = imageKey(image);
            const producer = key === undefined ? undefined : producers.get(key);
            return producer === undefined || producer === n.spec.name ? undefined : producer;
          },
        }),
      );
    }
    const rebuilds = builds.some((b) => b.rebuilds === true)
      ? true
      : builds.some((b) => b.rebuilds === null)
        ? null
        : false;
    nodes.push({ name: n.spec.name, kind: "packer", rebuilds, builds });
  }
  return propagateRebuilds(nodes, chain.plan.edges);
}

export function formatChainPlan(nodes: readonly NodePlan[]): string {
  const lines: string[] = [];
  for (const n of nodes) {
    const verdict = n.rebuilds === true ? "rebuilds" : n.rebuilds === false ? "up to date" : "may rebuild";
    lines.push(`=== node ${n.name} (${n.kind}): ${verdict}${n.reason ? `: ${n.reason}` : ""}`);
    if (n.builds.length > 0) lines.push(formatPlan(n.builds).trimEnd());
  }
  return lines.length ? `${lines.join("\n")}\n` : "No nodes selected.\n";
}
