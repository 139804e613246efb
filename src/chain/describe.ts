// Printable views of a chain (pure: strings out): the list of names (`--list`), the graph as text
// and as Graphviz DOT (`-graph`), and what a run would do (`--dry-run`), in the order it would.
import { relative } from "node:path";
import { formatOrigin } from "./model.js";
import { describeEdge, type ChainPlan, type PlannedNode } from "./plan.js";
import { topologicalOrder } from "./graph.js";
import type { ImagesEntry } from "./images-json.js";
import { substituteReferences } from "./native-file.js";

/** `--list`: one line per node: the name `--images` takes (IMAGES.json Dockerfile entries: the tag, as the original listed), its kind, file and images. */
export function listLines(
  nodes: readonly { name: string; selector: string; kind: string; file: string; tags: string[] }[],
): string[] {
  const width = Math.max(0, ...nodes.map((n) => n.selector.length));
  const kindWidth = Math.max(0, ...nodes.map((n) => n.kind.length));
  return nodes.map(
    (n) =>
      `${n.selector.padEnd(width)}  ${n.kind.padEnd(kindWidth)}  ${n.file}${n.tags.length ? ` -> ${n.tags.join(", ")}` : ""}`,
  );
}

export function listFromImages(entries: readonly ImagesEntry[], cwd: string) {
  return entries.map((e) => ({
    name: e.node.name,
    selector: e.builderType === "dockerfile" && e.tag ? e.tag : e.node.name,
    kind: e.builderType,
    file: relative(cwd, e.path) || e.path,
    tags: e.node.tags,
  }));
}

export function graphText(plan: ChainPlan, selected: ReadonlySet<string>, cwd: string): string {
  const lines: string[] = [];
  for (const n of plan.nodes) {
    const mark = selected.has(n.spec.name) ? "" : "  (not selected)";
    lines.push(
      `${n.spec.name}: ${n.spec.source.kind} ${fileOf(n, cwd)}${n.produces.length ? ` -> ${n.produces.join(", ")}` : ""}${mark}`,
    );
    const needs = plan.edges.filter((e) => e.from === n.spec.name);
    if (needs.length === 0) lines.push("  needs nothing from the chain");
    for (const e of needs) lines.push(`  needs ${e.to}: ${describeEdge(e)} (${relativeOrigin(e.pos, cwd)})`);
  }
  const order = topologicalOrder(
    plan.nodes.filter((n) => selected.has(n.spec.name)).map((n) => n.spec.name),
    plan.edges,
  );
  lines.push("", `order (ties in list order): ${order.join(", ")}`);
  return lines.join("\n");
}

export function graphDot(plan: ChainPlan, selected: ReadonlySet<string>): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ["digraph chain {", "  rankdir=LR;", "  node [shape=box];"];
  for (const n of plan.nodes) {
    const label = `${n.spec.name}\\n${n.spec.source.kind}${n.produces.length ? `\\n${n.produces.join("\\n")}` : ""}`;
    const style = selected.has(n.spec.name) ? "" : ", style=dashed";
    lines.push(`  ${q(n.spec.name)} [label="${label.replace(/"/g, '\\"')}"${style}];`);
  }
  // Arrows follow the build order: from what is needed to what needs it.
  for (const e of plan.edges) {
    lines.push(`  ${q(e.to)} -> ${q(e.from)} [label=${q(`${describeEdge(e)} (${formatOrigin(e.pos)})`)}];`);
  }
  lines.push("}");
  return lines.join("\n");
}

export function dryRunLines(
  plan: ChainPlan,
  selected: ReadonlySet<string>,
  cwd: string,
  parallel: number,
): string[] {
  const order = topologicalOrder(
    plan.nodes.filter((n) => selected.has(n.spec.name)).map((n) => n.spec.name),
    plan.edges,
  );
  const lines = [
    `Dry run: ${order.length} node(s) would be built, up to ${parallel} at once; nothing is built and the engine is not contacted.`,
  ];
  // References show what they will be: a tag now, an image ID once the node is built.
  const shown = (value: string): string =>
    substituteReferences(value, (node, field) =>
      field === "image" ? (plan.byName.get(node)?.produces[0] ?? "") : `<image ID of ${node}>`,
    );
  for (const name of order) {
    const n = plan.byName.get(name)!;
    const needs = [
      ...new Set(plan.edges.filter((e) => e.from === name && selected.has(e.to)).map((e) => e.to)),
    ];
    const src = n.spec.source;
    let how: string;
    if (src.kind === "packer") {
      const args = [
        ...src.vars.map(([k, v]) => `-var ${k}=${shown(v)}`),
        ...src.varFiles.map((f) => `-var-file ${relative(cwd, f) || f}`),
        ...(src.only.length ? [`-only ${src.only.join(",")}`] : []),
        ...(src.except.length ? [`-except ${src.except.join(",")}`] : []),
      ];
      how = `packer build${args.length ? ` ${args.join(" ")}` : ""} ${fileOf(n, cwd)} (builds: ${(n.builds ?? []).map((b) => b.name).join(", ")})`;
    } else {
      const args = [
        ...src.buildArgs.map((a) => `--build-arg ${a.name}=${shown(a.value)}`),
        ...(src.target ? [`--target ${src.target}`] : []),
        ...Object.entries(src.labels).map(([k, v]) => `--label ${k}=${v}`),
        ...(src.network ? [`--network ${src.network}`] : []),
        ...(src.noCache ? ["--no-cache"] : []),
        ...(src.pull ? ["--pull"] : []),
        ...(src.squash ? ["--squash"] : []),
      ];
      how = `docker build${args.length ? ` ${args.join(" ")}` : ""} -f ${fileOf(n, cwd)} ${relative(cwd, src.context) || "."}`;
    }
    lines.push(`[${name}] would run: ${how}`);
    lines.push(
      `[${name}]   in ${relative(cwd, n.spec.workingDir) || "."}${n.produces.length ? `, producing ${n.produces.join(", ")}` : ""}${needs.length ? `, after ${needs.join(", ")}` : ""}`,
    );
  }
  for (const n of plan.nodes) if (!selected.has(n.spec.name)) lines.push(`[${n.spec.name}] not selected`);
  return lines;
}

function fileOf(n: PlannedNode, cwd: string): string {
  const path = n.spec.source.kind === "packer" ? n.spec.source.template : n.spec.source.dockerfile;
  return relative(cwd, path) || path;
}

function relativeOrigin(pos: { file: string; line: number } | undefined, cwd: string): string {
  return pos ? `${relative(cwd, pos.file) || pos.file}:${pos.line}` : "(unknown position)";
}
