// The `post-processors` section: each element is a type name ("docker-push"), an object, or a
// list of those (a sequence). Every element is one sequence; a sequence inside a sequence is an
// error (as in Packer). Per build, post-processors filtered out by only/except are dropped from
// their sequence, and emptied sequences disappear.
import type { SourcePos } from "../diagnostic.js";
import type { Diagnostic } from "../diagnostic.js";
import { isNotSupported, lookupComponent } from "../components.js";
import { f, type ComponentSpec } from "../schema.js";
import type { PostProcessorDef, UnsupportedPostProcessor } from "../types.js";
import type { ValueNode } from "../value-tree.js";
import { describe, validateConfig } from "../validate-config.js";
import { componentRenderer, error, report, type JsonLoadContext } from "./context.js";
import { readTypedComponent } from "./entries.js";
import { appliesTo, readOnlyExcept, type BuilderNames, type OnlyExcept } from "./only-except.js";

const CORE_KEYS = ["type", "name", "only", "except", "keep_input_artifact"] as const;

const postProcessorCoreSpec: ComponentSpec = {
  type: "post-processor",
  schema: {
    name: f.string("Name shown in the output and matched by -only/-except (default: the type)."),
    keep_input_artifact: f.bool("Keep the artifact this post-processor received."),
  },
};

export interface RawPostProcessor {
  label: string;
  type: string;
  spec?: ComponentSpec;
  onlyExcept: OnlyExcept;
  core: Extract<ValueNode, { kind: "object" }>;
  config: Extract<ValueNode, { kind: "object" }>;
  pos?: SourcePos;
  /** A Packer type kiln does not implement: its "not supported" error, judged once -except is known. */
  unsupported?: Diagnostic;
}

const EXAMPLE =
  '"post-processors": [[{"type": "docker-tag", "repository": "app", "tags": ["1.0"]}, "docker-push"]]';

export function readPostProcessors(
  ctx: JsonLoadContext,
  node: ValueNode | undefined,
  builders: BuilderNames,
): RawPostProcessor[][] {
  if (!node) return [];
  if (node.kind !== "array") {
    error(ctx, node.pos, `post-processors: expected a list, got ${describe(node)}`, `e.g. ${EXAMPLE}`);
    return [];
  }
  const sequences: RawPostProcessor[][] = [];
  node.items.forEach((item, i) => {
    if (item.kind === "array") {
      const seq: RawPostProcessor[] = [];
      item.items.forEach((inner, j) => {
        const label = `post-processor ${i + 1}.${j + 1}`;
        if (inner.kind === "array") {
          error(
            ctx,
            inner.pos,
            `${label}: sequence not allowed to be nested in a sequence`,
            "a sequence is a list of post-processors (type names or objects); lists inside it are not allowed",
          );
          return;
        }
        const pp = readOne(ctx, inner, label, builders);
        if (pp) seq.push(pp);
      });
      sequences.push(seq);
    } else {
      const pp = readOne(ctx, item, `post-processor ${i + 1}`, builders);
      if (pp) sequences.push([pp]);
    }
  });
  return sequences;
}

function readOne(
  ctx: JsonLoadContext,
  item: ValueNode,
  label: string,
  builders: BuilderNames,
): RawPostProcessor | undefined {
  const empty = (pos?: SourcePos): Extract<ValueNode, { kind: "object" }> => ({
    kind: "object",
    entries: [],
    pos,
  });
  if (item.kind === "string") {
    const found = lookupComponent("post-processor", item.value, item.pos);
    const deferred = found.diagnostic && isNotSupported("post-processor", item.value);
    if (found.diagnostic && !deferred) report(ctx, found.diagnostic);
    return {
      label,
      type: item.value,
      spec: found.spec,
      onlyExcept: {},
      core: empty(item.pos),
      config: empty(item.pos),
      pos: item.pos,
      ...(deferred ? { unsupported: found.diagnostic } : {}),
    };
  }
  if (item.kind !== "object") {
    error(
      ctx,
      item.pos,
      `${label}: expected a type name, an object or a list, got ${describe(item)}`,
      `e.g. ${EXAMPLE}`,
    );
    return undefined;
  }
  const typed = readTypedComponent(
    ctx,
    item,
    "post-processor",
    label,
    CORE_KEYS,
    '{"type": "docker-tag", "repository": "app"}',
  );
  if (!typed) return undefined;
  const { type, spec, core, config, unsupported } = typed;
  const onlyExcept = readOnlyExcept(ctx, core.get("only"), core.get("except"), builders) ?? {};
  const coreEntries = ["name", "keep_input_artifact"].flatMap((k) => (core.has(k) ? [core.get(k)!] : []));
  return {
    label,
    type,
    spec,
    onlyExcept,
    core: { kind: "object", entries: coreEntries, pos: item.pos },
    config,
    pos: item.pos,
    ...(unsupported ? { unsupported } : {}),
  };
}

/**
 * The sequences as configured for one build, and the post-processors of types kiln does not
 * implement (each ends its sequence: it either fails the build or is cut by -except).
 */
export function postProcessorsFor(
  ctx: JsonLoadContext,
  sequences: RawPostProcessor[][],
  build: { name: string; rawName: string; type: string },
): { sequences: PostProcessorDef[][]; unsupported: UnsupportedPostProcessor[] } {
  const out: PostProcessorDef[][] = [];
  const unsupported: UnsupportedPostProcessor[] = [];
  for (const seq of sequences) {
    const defs: PostProcessorDef[] = [];
    for (const raw of seq) {
      if (!appliesTo(raw.onlyExcept, build.rawName)) continue;
      if (raw.unsupported) {
        const name = raw.core.entries.find((e) => e.key === "name")?.value;
        unsupported.push({
          name: name?.kind === "string" ? name.value : raw.type,
          type: raw.type,
          after: defs.map((d) => d.name),
          diagnostic: raw.unsupported,
        });
        break;
      }
      if (!raw.spec) continue;
      const r = componentRenderer(ctx, build);
      const common = {
        format: "json" as const,
        render: r.render,
        checkLate: r.check,
        file: ctx.file,
        templateDir: ctx.templateDir,
        cwd: ctx.opts.cwd,
        blockPos: raw.pos,
        what: `${raw.label} (${raw.type})`,
      };
      const core = validateConfig(postProcessorCoreSpec, raw.core, common);
      const own = validateConfig(raw.spec, raw.config, common);
      report(ctx, ...core.diagnostics, ...own.diagnostics);
      const c = core.config as { name?: string; keep_input_artifact?: boolean };
      defs.push({
        type: raw.type,
        name: c.name ?? raw.type,
        named: c.name !== undefined,
        config: own.config,
        keepInputArtifact: c.keep_input_artifact,
        pos: raw.pos,
      });
    }
    if (defs.length > 0) out.push(defs);
  }
  return { sequences: out, unsupported };
}
