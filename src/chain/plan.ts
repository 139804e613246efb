// From a chain's nodes to its graph: loads each Packer template (variables rendered, builds
// selected) and reads each Dockerfile, to learn what every node produces and consumes; edges join
// a consumer to the node producing the image it uses, each with its origin (file:line). Pure
// except for reading files: no engine is contacted, and every problem is a positioned diagnostic.
import { existsSync, readFileSync, statSync } from "node:fs";
import type { Diagnostic, SourcePos } from "../template/diagnostic.js";
import { InvalidInputError } from "../template/diagnostic.js";
import { parseJson } from "../template/json/parse-json.js";
import type { BuildDef, LoadOptions, Template } from "../template/types.js";
import { BUILD_DATA_SENTINEL_RE } from "../template/types.js";
import { member } from "./json-input.js";
import { selectBuilds } from "../plan/select-builds.js";
import { dockerfileImages } from "./dockerfile-from.js";
import { imageKey } from "./image-key.js";
import type { ChainNodeSpec, ChainSpec, Edge } from "./model.js";
import { formatOrigin } from "./model.js";
import { substituteReferences } from "./native-file.js";
import { findCycle } from "./graph.js";

export type TemplateLoader = (path: string, opts: LoadOptions) => Promise<Template>;

export interface PlanOptions {
  loadTemplate: TemplateLoader;
  env: NodeJS.ProcessEnv;
  startTime: Date;
}

export interface PlannedNode {
  spec: ChainNodeSpec;
  /** Packer nodes: the template as loaded for planning, and its selected builds. */
  template?: Template;
  builds?: BuildDef[];
  /** Dockerfile nodes: the build args after `${node.X.image}` substitution. */
  buildArgs?: Record<string, string>;
  /** Images the node produces (`repo:tag` as written). */
  produces: string[];
  /** Images it takes from the engine, with where. */
  consumes: { image: string; pos?: SourcePos; why: Edge["why"] }[];
  /** The node's file could not be read or loaded: only its declared tags are known. */
  unread?: boolean;
  /**
   * The node's own problems (missing file, template errors): errors stop the chain only when the
   * node is selected (see `problemsOf`); graph problems (cycles) always do.
   */
  diagnostics: Diagnostic[];
}

export interface ChainPlan {
  spec: ChainSpec;
  nodes: PlannedNode[];
  byName: Map<string, PlannedNode>;
  edges: Edge[];
}

export async function planChain(spec: ChainSpec, opts: PlanOptions): Promise<ChainPlan> {
  const diags: Diagnostic[] = [];
  const byName = new Map<string, PlannedNode>();
  // Nodes are read after the nodes their `${node.X.image}` references name (their tags must be known).
  const pending = [...spec.nodes];
  while (pending.length > 0) {
    const ready = pending.filter((n) => n.references.every((r) => byName.has(r.node)));
    if (ready.length === 0) break; // a reference cycle: reported with the graph's cycles below
    for (const n of ready) {
      pending.splice(pending.indexOf(n), 1);
      const lookup = (node: string, field: "image" | "id"): string => {
        const target = byName.get(node);
        const image = target?.produces[0];
        if (image === undefined) {
          diags.push({
            severity: "error",
            ...(n.pos ? { pos: n.pos } : {}),
            summary: `nodes.${n.name}: \${node.${node}.${field}}: node ${node} produces no tagged image`,
            detail: `give node ${node} "tags", or tag its image in its template (docker-tag)`,
          });
          return "";
        }
        // An ID is known once the node is built; for planning its tag names the same image.
        return image;
      };
      byName.set(n.name, await planNode(n, lookup, opts, spec.format));
    }
  }
  for (const n of pending) {
    byName.set(n.name, { spec: n, produces: [...n.tags], consumes: [], unread: true, diagnostics: [] });
  }
  const nodes = spec.nodes.map((n) => byName.get(n.name)!);

  // Who produces what: one producer per image.
  const producers = new Map<string, PlannedNode>();
  for (const node of nodes) {
    for (const image of node.produces) {
      const key = imageKey(image);
      if (key === undefined) continue;
      const other = producers.get(key);
      if (other && other !== node) {
        diags.push({
          severity: "error",
          ...(node.spec.pos ? { pos: node.spec.pos } : {}),
          summary: `nodes ${other.spec.name} and ${node.spec.name} both produce ${image}`,
          detail: `${other.spec.name} is at ${formatOrigin(other.spec.pos)}; an image can have one producer in a chain`,
        });
      } else producers.set(key, node);
    }
  }
  const edges: Edge[] = [];
  const seen = new Set<string>();
  const addEdge = (edge: Edge): void => {
    const id = `${edge.from}\u0000${edge.to}\u0000${edge.why}\u0000${edge.image ?? ""}`;
    if (edge.from === edge.to || seen.has(id)) return;
    seen.add(id);
    edges.push(edge);
  };
  for (const node of nodes) {
    for (const use of node.consumes) {
      const key = imageKey(use.image);
      const producer = key === undefined ? undefined : producers.get(key);
      if (!producer || producer === node) continue;
      addEdge({
        from: node.spec.name,
        to: producer.spec.name,
        why: use.why,
        image: use.image,
        ...(use.pos ? { pos: use.pos } : {}),
      });
    }
    for (const d of node.spec.dependsOn) {
      addEdge({ from: node.spec.name, to: d.node, why: "depends-on", ...(d.pos ? { pos: d.pos } : {}) });
    }
    for (const r of node.spec.references) {
      addEdge({ from: node.spec.name, to: r.node, why: "reference", ...(r.pos ? { pos: r.pos } : {}) });
    }
  }
  const cycle = findCycle(
    nodes.map((n) => n.spec.name),
    edges,
  );
  if (cycle) {
    const path = [...cycle.map((e) => e.from), cycle[0]!.from].join(" -> ");
    diags.push({
      severity: "error",
      ...(cycle[0]!.pos ? { pos: cycle[0]!.pos } : {}),
      summary: `the chain has a cycle: ${path}`,
      detail: [
        ...cycle.map((e) => `${e.from} needs ${e.to}: ${describeEdge(e)} at ${formatOrigin(e.pos)}`),
        "a node cannot wait for itself: break one of these edges",
      ].join("\n"),
    });
  }
  if (diags.some((d) => d.severity === "error")) throw new InvalidInputError(diags);
  return { spec, nodes, byName, edges };
}

/** The problems of the selected nodes; throws (exit 2) when one is an error. */
export function problemsOf(plan: ChainPlan, selected: ReadonlySet<string>): Diagnostic[] {
  const diags = plan.nodes.filter((n) => selected.has(n.spec.name)).flatMap((n) => n.diagnostics);
  if (diags.some((d) => d.severity === "error")) throw new InvalidInputError(diags);
  return diags;
}

export function describeEdge(e: Edge): string {
  switch (e.why) {
    case "base-image":
      return `base image ${e.image}`;
    case "from":
      return `FROM ${e.image}`;
    case "copy-from":
      return `COPY --from=${e.image}`;
    case "build-arg":
      return `build arg naming ${e.image}`;
    case "depends-on":
      return "depends_on";
    case "reference":
      return "a ${node…} reference";
  }
}

async function planNode(
  n: ChainNodeSpec,
  lookup: (node: string, field: "image" | "id") => string,
  opts: PlanOptions,
  format: ChainSpec["format"],
): Promise<PlannedNode> {
  const diags: Diagnostic[] = [];
  const unread: PlannedNode = {
    spec: n,
    produces: [...n.tags],
    consumes: [],
    unread: true,
    diagnostics: diags,
  };
  const source = n.source;
  const path = source.kind === "packer" ? source.template : source.dockerfile;
  if (!existsSync(path)) {
    diags.push({
      severity: "error",
      ...(n.filePos ? { pos: n.filePos } : {}),
      summary: `${n.name}: ${source.kind === "packer" ? "template" : "Dockerfile"} ${path} does not exist`,
      detail:
        format === "native"
          ? `paths in a chain file are relative to the node's working_dir (${n.workingDir})`
          : source.kind === "packer"
            ? "a Packer entry's file lives in <images folder>/packer/ (kiln chain --generate-images writes them from packer.json)"
            : "a Dockerfile entry's file is relative to its working_dir",
    });
    return unread;
  }
  if (source.kind === "packer") {
    let template: Template;
    try {
      template = await opts.loadTemplate(source.template, {
        vars: source.vars.map(([k, v]) => [k, substituteReferences(v, lookup)]),
        varFiles: source.varFiles,
        env: opts.env,
        cwd: n.workingDir,
        startTime: opts.startTime,
      });
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      diags.push(...e.diagnostics);
      return unread;
    }
    diags.push(...template.warnings);
    const builds = selectBuilds(template.builds, source.only, source.except);
    if (builds.length === 0) {
      diags.push({
        severity: "error",
        ...(n.pos ? { pos: n.pos } : {}),
        summary: `${n.name}: -only/-except select no build of ${n.file}`,
        detail: `its builds: ${template.builds.map((b) => b.name).join(", ")}`,
      });
    }
    const produces = [...n.tags];
    const consumes: PlannedNode["consumes"] = [];
    const imagePositions =
      template.format === "json" ? jsonImagePositions(template) : new Map<BuildDef, SourcePos>();
    for (const b of builds) {
      for (const ref of postProcessorTags(b)) if (!produces.includes(ref)) produces.push(ref);
      const image = b.builder.image;
      if (image && !hasSentinel(image)) {
        const pos = imagePositions.get(b) ?? b.pos;
        consumes.push({ image, why: "base-image", ...(pos ? { pos } : {}) });
      }
    }
    return { spec: n, template, builds, produces, consumes, diagnostics: diags };
  }
  let text: string;
  try {
    if (!statSync(source.context).isDirectory()) throw new Error("not a directory");
    text = readFileSync(source.dockerfile, "utf8");
  } catch (e) {
    diags.push({
      severity: "error",
      ...(n.filePos ? { pos: n.filePos } : {}),
      summary: `${n.name}: cannot read ${source.dockerfile} with context ${source.context}: ${e instanceof Error ? e.message : String(e)}`,
    });
    return unread;
  }
  const buildArgs: Record<string, string> = {};
  for (const a of source.buildArgs) buildArgs[a.name] = substituteReferences(a.value, lookup);
  const consumes: PlannedNode["consumes"] = dockerfileImages(text, buildArgs, source.target).map((u) => ({
    image: u.image,
    why: u.instruction === "FROM" ? "from" : "copy-from",
    pos: { file: source.dockerfile, line: u.line, column: 1 },
  }));
  for (const a of source.buildArgs) {
    const value = buildArgs[a.name]!;
    if (imageKey(value) !== undefined && /[:/]/.test(value)) {
      consumes.push({ image: value, why: "build-arg", ...(a.pos ? { pos: a.pos } : {}) });
    }
  }
  return { spec: n, buildArgs, produces: [...n.tags], consumes, diagnostics: diags };
}

function hasSentinel(text: string): boolean {
  BUILD_DATA_SENTINEL_RE.lastIndex = 0;
  return BUILD_DATA_SENTINEL_RE.test(text);
}

/** The `repo:tag` references a build's docker-tag and docker-import post-processors give. */
function postProcessorTags(b: BuildDef): string[] {
  const out: string[] = [];
  for (const seq of b.postProcessors) {
    for (const pp of seq) {
      const c = pp.config;
      const repo = typeof c.repository === "string" ? c.repository : "";
      if (!repo || hasSentinel(repo)) continue;
      if (pp.type === "docker-tag") {
        const listed: unknown[] = [
          ...(Array.isArray(c.tags) ? (c.tags as unknown[]) : []),
          ...(Array.isArray(c.tag) ? (c.tag as unknown[]) : typeof c.tag === "string" ? [c.tag] : []),
        ];
        const tags = listed.filter((t): t is string => typeof t === "string" && t !== "" && !hasSentinel(t));
        if (tags.length === 0) out.push(`${repo}:latest`);
        for (const t of tags) out.push(`${repo}:${t}`);
      } else if (pp.type === "docker-import") {
        const tag = typeof c.tag === "string" && c.tag !== "" && !hasSentinel(c.tag) ? c.tag : "latest";
        out.push(`${repo}:${tag}`);
      }
    }
  }
  return out;
}

/** JSON templates: where each build's `image` value is written (its builder's line otherwise). */
function jsonImagePositions(template: Template): Map<BuildDef, SourcePos> {
  const out = new Map<BuildDef, SourcePos>();
  try {
    const root = parseJson(readFileSync(template.path, "utf8"), template.path).root;
    const builders = member(root, "builders")?.value;
    if (builders?.kind !== "array") return out;
    for (const b of template.builds) {
      const item = builders.items.find((i) => i.pos?.line === b.pos?.line && i.pos?.column === b.pos?.column);
      const image = item ? member(item, "image")?.value : undefined;
      if (image?.pos) out.set(b, image.pos);
    }
  } catch {
    // Positions are a help; the builder's position stays.
  }
  return out;
}
