// `source` and `build` blocks → BuildDef[]: one build per source a build block names, with the
// source's body (plus the build's overrides) as builder config, and the build's provisioners and
// post-processor sequences evaluated for that source (source.name, build.ID… differ per build).
import type { DockerBuilderConfig } from "../../builders/docker/schema.js";
import { isNotSupported, lookupComponent } from "../components.js";
import type { Diagnostic, SourcePos } from "../diagnostic.js";
import { f, type ComponentSpec } from "../schema.js";
import { suggest } from "../suggest.js";
import {
  BUILD_DATA_KEYS,
  buildDataSentinel,
  type BuildDef,
  type PostProcessorDef,
  type UnsupportedPostProcessor,
  type ProvisionerDef,
  type UnsupportedBuild,
} from "../types.js";
import { validateConfig } from "../validate-config.js";
import type { ObjectEntry, ValueNode } from "../value-tree.js";
import { toSourcePos, type Attribute, type Block, type Expr, type Range, type SourceFile } from "./ast.js";
import { bodyToNode, checkBody, expandBody, labelsOk, toValueNode, type Scoped } from "./body.js";
import { error, report, reportError, warning, type HclLoadContext } from "./context.js";
import { ConversionError, convert } from "./convert.js";
import { HclError } from "./diagnostics.js";
import { child, evaluate, type EvalContext } from "./evaluate.js";
import { STRING, list } from "./types.js";
import { isMapping, objectOf, str, toJS, type Value } from "./value.js";

interface SourceDef {
  type: string;
  name: string;
  block: Block;
  spec?: ComponentSpec;
  /** A Packer builder kiln does not implement: an error only for builds -only/-except select. */
  unsupported?: Diagnostic;
}

interface SourceUse {
  ref: string; // "docker.app"
  def: SourceDef;
  /** The name the build gives it (`source "source.docker.x" { name = "y" }`), else its own. */
  localName: string;
  overrides: Scoped[];
  range: Range;
}

const provisionerCoreSpec: ComponentSpec = {
  type: "provisioner",
  schema: {
    pause_before: f.duration("Pause before this provisioner.").default(0),
    max_retries: f.int("Retries after a failure.").default(0),
    timeout: f.duration("Cancel the provisioner after this long (0: never).").default(0),
    name: f.string("Name of the provisioner."),
  },
};
const PROVISIONER_CORE = ["only", "except", "override", "pause_before", "max_retries", "timeout", "name"];

const postProcessorCoreSpec: ComponentSpec = {
  type: "post-processor",
  schema: {
    name: f.string("Name shown in the output and matched by -only/-except (default: the type)."),
    keep_input_artifact: f.bool("Keep the artifact this post-processor received."),
  },
};
const POST_PROCESSOR_CORE = ["only", "except", "name", "keep_input_artifact"];

const BUILD_SCHEMA = {
  attributes: ["name", "description", "sources"],
  blocks: [
    "source",
    "provisioner",
    "post-processor",
    "post-processors",
    "error-cleanup-provisioner",
    "dynamic",
    "hcp_packer_registry",
  ],
  where: "a build block",
};

export function readSources(lctx: HclLoadContext, files: SourceFile[]): Map<string, SourceDef> {
  const out = new Map<string, SourceDef>();
  for (const file of files) {
    for (const item of file.body.items) {
      if (item.kind !== "block" || item.type !== "source") continue;
      if (
        !labelsOk(
          lctx,
          item,
          ["type", "name"],
          'source "docker" "app" { image = "debian:12", commit = true }',
        )
      )
        continue;
      const type = item.labels[0]!.value;
      const name = item.labels[1]!.value;
      const found = lookupComponent("builder", type, toSourcePos(item.labels[0]!.range));
      // Packer 1.6.6 refuses unknown source types outright, but prepares its own builders only
      // for the builds it runs: those wait for -only/-except (plan/select-builds.ts).
      const deferred = found.diagnostic && isNotSupported("builder", type);
      if (found.diagnostic && !deferred)
        report(lctx, withExcerpt(lctx, found.diagnostic, item.labels[0]!.range));
      const ref = `${type}.${name}`;
      const prev = out.get(ref);
      if (prev) {
        error(
          lctx,
          item.headerRange,
          `Duplicate source "${ref}"`,
          `The source ${ref} was already defined at ${at(prev.block.headerRange)}.`,
        );
        continue;
      }
      const def: SourceDef = { type, name, block: item };
      if (found.spec) def.spec = found.spec;
      else if (deferred) def.unsupported = found.diagnostic;
      out.set(ref, def);
    }
  }
  return out;
}

function at(r: Range): string {
  return `${r.file}:${r.start.line}:${r.start.column}`;
}

/** Adds the source excerpt to a diagnostic made elsewhere (component lookup). */
function withExcerpt(lctx: HclLoadContext, d: Diagnostic, range: Range): Diagnostic {
  const text = lctx.sources.get(range.file);
  if (!text) return d;
  const line = (text.split("\n")[range.start.line - 1] ?? "").replace(/\r$/, "");
  const num = String(range.start.line);
  const pad = line.slice(0, range.start.column - 1).replace(/[^\t]/g, " ");
  const width = Math.max(1, range.end.line === range.start.line ? range.end.column - range.start.column : 1);
  const quote = `${num} | ${line}\n${" ".repeat(num.length)} | ${pad}${"^".repeat(width)}`;
  return { ...d, detail: [d.detail, quote].filter(Boolean).join("\n\n") };
}

function evalString(lctx: HclLoadContext, attr: Attribute, ctx: EvalContext): string | undefined {
  try {
    const v = evaluate(attr.expr, ctx);
    if (v.isNull)
      throw new HclError(
        `Invalid value for "${attr.name}"`,
        attr.expr.range,
        "A string is required, got null.",
      );
    return convert(v, STRING).str;
  } catch (e) {
    if (e instanceof ConversionError) {
      error(
        lctx,
        attr.expr.range,
        `Inappropriate value for attribute "${attr.name}"`,
        "A string is required.",
      );
      return undefined;
    }
    reportError(lctx, e);
    return undefined;
  }
}

function evalStrings(lctx: HclLoadContext, attr: Attribute, ctx: EvalContext): string[] | undefined {
  try {
    const v = evaluate(attr.expr, ctx);
    if (v.isNull) return [];
    return convert(v, list(STRING)).items.map((x) => {
      if (x.isNull)
        throw new HclError(
          `Invalid value for "${attr.name}"`,
          attr.expr.range,
          "The list must not contain null.",
        );
      return x.str;
    });
  } catch (e) {
    if (e instanceof ConversionError) {
      error(
        lctx,
        attr.expr.range,
        `Inappropriate value for attribute "${attr.name}"`,
        `A list of strings is required: ${e.describe()}.`,
      );
      return undefined;
    }
    reportError(lctx, e);
    return undefined;
  }
}

/** "source.docker.x" or "docker.x" → "docker.x". */
// Packer splits the reference on "." and, with three parts, ignores the first: "source.docker.a",
// "sources.docker.a" (common in real templates) and "docker.a" all name the same source.
function parseRef(s: string): string | undefined {
  const m = /^(?:[^.\s]+\.)?([^.\s]+)\.([^.\s]+)$/.exec(s);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

function buildObject(name: string): Value {
  return objectOf([
    ["name", str(name)],
    ...BUILD_DATA_KEYS.map((k): [string, Value] => [k, str(buildDataSentinel(k))]),
  ]);
}

export function readBuilds(
  lctx: HclLoadContext,
  files: SourceFile[],
  sources: Map<string, SourceDef>,
  base: EvalContext,
): { builds: BuildDef[]; unsupportedBuilds: UnsupportedBuild[]; description?: string } {
  const builds: BuildDef[] = [];
  const unsupportedBuilds: UnsupportedBuild[] = [];
  const names = new Map<string, Range>();
  let description: string | undefined;
  let sawBuild = false;
  for (const file of files) {
    for (const block of file.body.items) {
      if (block.kind !== "block" || block.type !== "build") continue;
      sawBuild = true;
      if (!labelsOk(lctx, block, [], 'build { sources = ["source.docker.app"] }')) continue;
      const items = checkBody(
        lctx,
        block.body.items.map((item) => ({ item, ctx: base })),
        BUILD_SCHEMA,
      );
      let buildName = "";
      const uses: SourceUse[] = [];
      // A source reference that was already reported (invalid, unknown) still counts as one:
      // "Build without sources" is only for a build that names none.
      let badRefs = 0;
      for (const { item } of items) {
        if (item.kind === "attribute") {
          if (item.name === "name") buildName = evalString(lctx, item, base) ?? "";
          else if (item.name === "description") {
            const d = evalString(lctx, item, base);
            if (d !== undefined && description === undefined) description = d;
          } else if (item.name === "sources") {
            const refs = sourceRefs(lctx, item, base);
            badRefs += refs.failed;
            for (const [ref, range] of refs.refs) {
              const use = resolveUse(lctx, sources, ref, range);
              if (use) uses.push(use);
              else badRefs++;
            }
          }
        } else if (item.type === "source") {
          const use = sourceBlock(lctx, sources, item, base);
          if (use) uses.push(use);
          else badRefs++;
        } else if (item.type === "hcp_packer_registry") {
          warning(
            lctx,
            item.typeRange,
            "hcp_packer_registry is ignored",
            "kiln does not publish metadata to HCP Packer.",
          );
        } else if (item.type === "dynamic") {
          const t = item.labels[0]?.value;
          if (
            t !== undefined &&
            !["provisioner", "post-processor", "error-cleanup-provisioner", "post-processors"].includes(t)
          ) {
            error(
              lctx,
              item.labels[0]!.range,
              "Unsupported block type",
              `dynamic blocks in a build generate provisioner, post-processor, post-processors or error-cleanup-provisioner blocks, not "${t}".`,
              suggest(t, ["provisioner", "post-processor", "post-processors", "error-cleanup-provisioner"]),
            );
          }
        }
      }
      if (uses.length === 0 && badRefs > 0) continue;
      if (uses.length === 0) {
        error(
          lctx,
          block.headerRange,
          "Build without sources",
          'A build block needs at least one source: sources = ["source.docker.app"], or a source "source.docker.app" {} block.',
        );
        continue;
      }
      const refs = uses.map((u) => `${u.def.type}.${u.localName}`);
      for (const use of uses) {
        const fullName = buildName
          ? `${buildName}.${use.def.type}.${use.localName}`
          : `${use.def.type}.${use.localName}`;
        const prev = names.get(fullName);
        if (prev) {
          error(
            lctx,
            use.range,
            `Duplicate build "${fullName}"`,
            `A build named ${fullName} was already defined at ${at(prev)}; give the source a different name with source "source.${use.ref}" { name = "…" }.`,
          );
          continue;
        }
        names.set(fullName, use.range);
        if (use.def.unsupported) {
          unsupportedBuilds.push({ name: fullName, type: use.def.type, diagnostic: use.def.unsupported });
          continue;
        }
        const b = buildFor(lctx, block, use, { fullName, buildName, refs }, base);
        if (b) builds.push(b);
      }
    }
  }
  if (!sawBuild && files.length > 0) {
    const first = files[0]!;
    warning(
      lctx,
      { file: first.path, start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } },
      "No build block",
      'The template defines no build block, so there is nothing to build. Add e.g. build { sources = ["source.docker.app"] }.',
    );
  }
  const out: { builds: BuildDef[]; unsupportedBuilds: UnsupportedBuild[]; description?: string } = {
    builds,
    unsupportedBuilds,
  };
  if (description !== undefined) out.description = description;
  return out;
}

/** The references a `sources` attribute lists, and how many items failed (already reported). */
function sourceRefs(
  lctx: HclLoadContext,
  attr: Attribute,
  ctx: EvalContext,
): { refs: [string, Range][]; failed: number } {
  const e = attr.expr;
  if (e.kind === "tuple") {
    // Bare references (sources = [source.docker.x]) are accepted besides Packer's strings.
    const out: [string, Range][] = [];
    for (const item of e.items) {
      const bare = bareRef(item);
      if (bare) {
        out.push([bare, item.range]);
        continue;
      }
      try {
        const v = evaluate(item, ctx);
        out.push([convert(v, STRING).str, item.range]);
      } catch (err) {
        if (err instanceof ConversionError)
          error(
            lctx,
            item.range,
            "Invalid source reference",
            'Each source is a string such as "source.docker.app".',
          );
        else reportError(lctx, err);
      }
    }
    return { refs: out, failed: e.items.length - out.length };
  }
  const vals = evalStrings(lctx, attr, ctx);
  return { refs: (vals ?? []).map((v) => [v, e.range]), failed: vals === undefined ? 1 : 0 };
}

function bareRef(e: Expr): string | undefined {
  const parts: string[] = [];
  let cur: Expr = e;
  while (cur.kind === "getattr") {
    parts.unshift(cur.name);
    cur = cur.obj;
  }
  if (cur.kind !== "variable" || cur.name !== "source" || parts.length !== 2) return undefined;
  return `source.${parts.join(".")}`;
}

function resolveUse(
  lctx: HclLoadContext,
  sources: Map<string, SourceDef>,
  text: string,
  range: Range,
): SourceUse | undefined {
  const ref = parseRef(text);
  if (!ref) {
    // Four or more parts: Packer would take the second and third; say which were meant.
    const fixed = /^[^.\s]+\.([^.\s]+\.[^.\s]+)\.[^\s]+$/.exec(text);
    error(
      lctx,
      range,
      "Invalid source reference",
      `${JSON.stringify(text)} is not a source reference; write "source.<type>.<name>", e.g. "source.docker.app".`,
      fixed && sources.has(fixed[1]!) ? [`source.${fixed[1]}`] : undefined,
    );
    return undefined;
  }
  const def = sources.get(ref);
  if (!def) {
    const known = [...sources.keys()];
    error(
      lctx,
      range,
      `Unknown source ${ref}`,
      known.length
        ? `Sources defined in this template: ${known.map((k) => `source.${k}`).join(", ")}.`
        : 'The template defines no source block; add e.g. source "docker" "app" { … }.',
      suggest(ref, known).map((k) => `source.${k}`),
    );
    return undefined;
  }
  return { ref, def, localName: def.name, overrides: [], range };
}

function sourceBlock(
  lctx: HclLoadContext,
  sources: Map<string, SourceDef>,
  block: Block,
  base: EvalContext,
): SourceUse | undefined {
  if (!labelsOk(lctx, block, ["reference"], 'source "source.docker.app" { name = "variant" }'))
    return undefined;
  const use = resolveUse(lctx, sources, block.labels[0]!.value, block.labels[0]!.range);
  if (!use) return undefined;
  use.range = block.headerRange;
  for (const item of expandBody(lctx, block.body, base)) {
    if (item.item.kind === "attribute" && item.item.name === "name") {
      const n = evalString(lctx, item.item, base);
      if (n !== undefined) use.localName = n;
    } else {
      use.overrides.push(item);
    }
  }
  return use;
}

function mergeOverrides(own: Scoped[], overrides: Scoped[]): Scoped[] {
  if (overrides.length === 0) return own;
  const attrs = new Set(
    overrides.filter((o) => o.item.kind === "attribute").map((o) => (o.item as Attribute).name),
  );
  const blocks = new Set(overrides.filter((o) => o.item.kind === "block").map((o) => (o.item as Block).type));
  const kept = own.filter((o) =>
    o.item.kind === "attribute" ? !attrs.has(o.item.name) : !blocks.has(o.item.type),
  );
  return [...kept, ...overrides];
}

interface BuildId {
  fullName: string;
  buildName: string;
  /** `type.name` of every source of this build block: what only/except may name. */
  refs: string[];
}

function buildFor(
  lctx: HclLoadContext,
  block: Block,
  use: SourceUse,
  id: BuildId,
  base: EvalContext,
): BuildDef | undefined {
  const sourceObj = objectOf([
    ["name", str(use.localName)],
    ["type", str(use.def.type)],
  ]);
  const sourceCtx = child(base, [["source", sourceObj]]);
  const hints = new Map(base.hints ?? []);
  hints.set(
    "build",
    "build.* values (build.ID, build.name…) are only available in provisioners and post-processors.",
  );
  const builderCtx: EvalContext = { ...sourceCtx, hints };
  const ctx = child(sourceCtx, [["build", buildObject(id.buildName)]]);
  const blockPos = toSourcePos(use.def.block.headerRange);
  let builder: Record<string, unknown> | undefined;
  if (use.def.spec) {
    const own = expandBody(lctx, use.def.block.body, builderCtx);
    const overrides = use.overrides.map((o) => ({ item: o.item, ctx: builderCtx }));
    const { node, failed } = bodyToNode(lctx, mergeOverrides(own, overrides), blockPos);
    if (!failed) {
      const res = validateConfig(use.def.spec, node, {
        format: "hcl" as const,
        render: identity,
        file: blockPos.file,
        templateDir: lctx.templateDir,
        cwd: lctx.opts.cwd,
        blockPos,
        what: `source "${use.def.type}" "${use.def.name}"`,
      });
      report(lctx, ...res.diagnostics);
      builder = res.config;
    }
  }
  const me = `${use.def.type}.${use.localName}`;
  const provisioners: ProvisionerDef[] = [];
  const postProcessors: PostProcessorDef[][] = [];
  const unsupportedPPs: UnsupportedPostProcessor[] = [];
  let cleanup: ProvisionerDef | undefined;
  let cleanupSeen: Range | undefined;
  const items = expandBody(lctx, block.body, ctx);
  let index = 0;
  for (const { item, ctx: ictx } of items) {
    if (item.kind !== "block") continue;
    switch (item.type) {
      case "provisioner": {
        index++;
        const p = provisionerFor(lctx, item, ictx, me, use.localName, id.refs, `provisioner ${index}`);
        if (p) provisioners.push(p);
        break;
      }
      case "error-cleanup-provisioner": {
        if (cleanupSeen && cleanupSeen !== item.range) {
          error(
            lctx,
            item.headerRange,
            "Duplicate error-cleanup-provisioner",
            `A build has at most one error-cleanup-provisioner; another is at ${at(cleanupSeen)}.`,
          );
          break;
        }
        cleanupSeen = item.range;
        const p = provisionerFor(lctx, item, ictx, me, use.localName, id.refs, "error-cleanup-provisioner");
        if (p) cleanup = p;
        break;
      }
      case "post-processor": {
        const unsupported = unsupportedPostProcessor(lctx, item, ictx, me, id.refs);
        if (unsupported) {
          if (unsupported.found) unsupportedPPs.push({ ...unsupported.found, after: [] });
          break;
        }
        const pp = postProcessorFor(lctx, item, ictx, me, id.refs);
        if (pp) postProcessors.push([pp]);
        break;
      }
      case "post-processors": {
        if (
          !labelsOk(
            lctx,
            item,
            [],
            'post-processors { post-processor "docker-tag" { … } post-processor "docker-push" {} }',
          )
        )
          break;
        const seqItems = checkBody(lctx, expandBody(lctx, item.body, ictx), {
          attributes: [],
          blocks: ["post-processor"],
          where: "a post-processors block",
        });
        const seq: PostProcessorDef[] = [];
        for (const s of seqItems) {
          if (s.item.kind !== "block") continue;
          const unsupported = unsupportedPostProcessor(lctx, s.item, s.ctx, me, id.refs);
          if (unsupported?.found) {
            // It ends the sequence: it fails the build, or -except cuts it and what follows.
            unsupportedPPs.push({ ...unsupported.found, after: seq.map((pp) => pp.name) });
            break;
          }
          if (unsupported) continue;
          const pp = postProcessorFor(lctx, s.item, s.ctx, me, id.refs);
          if (pp) seq.push(pp);
        }
        if (seq.length > 0) postProcessors.push(seq);
        break;
      }
    }
  }
  if (!builder) return undefined;
  const def: BuildDef = {
    name: id.fullName,
    sourceName: use.localName,
    type: "docker",
    builder: builder as DockerBuilderConfig,
    provisioners,
    postProcessors,
    pos: toSourcePos(use.range),
  };
  if (cleanup) def.errorCleanupProvisioner = cleanup;
  if (unsupportedPPs.length > 0) def.unsupportedPostProcessors = unsupportedPPs;
  return def;
}

const identity = (s: string): string => s;

interface Split {
  core: Map<string, Attribute>;
  config: Scoped[];
}

function split(items: Scoped[], coreKeys: string[]): Split {
  const core = new Map<string, Attribute>();
  const config: Scoped[] = [];
  for (const s of items) {
    if (s.item.kind === "attribute" && coreKeys.includes(s.item.name)) core.set(s.item.name, s.item);
    else config.push(s);
  }
  return { core, config };
}

/**
 * A provisioner or post-processor block: its type label looked up (unknown types reported with
 * an excerpt), its body expanded and split into core keys and config, only/except applied.
 * Undefined when the block is invalid (reported) or does not apply to source `me`.
 */
function readComponentBlock(
  lctx: HclLoadContext,
  block: Block,
  ctx: EvalContext,
  me: string,
  refs: string[],
  kind: "provisioner" | "post-processor",
  coreKeys: string[],
  example: string,
): (Split & { type: string; spec: NonNullable<ReturnType<typeof lookupComponent>["spec"]> }) | undefined {
  if (!labelsOk(lctx, block, ["type"], example)) return undefined;
  const type = block.labels[0]!.value;
  const found = lookupComponent(kind, type, toSourcePos(block.labels[0]!.range));
  if (found.diagnostic || !found.spec) {
    if (found.diagnostic) report(lctx, withExcerpt(lctx, found.diagnostic, block.labels[0]!.range));
    return undefined;
  }
  const { core, config } = split(expandBody(lctx, block.body, ctx), coreKeys);
  if (!applies(lctx, core, ctx, me, refs)) return undefined;
  return { type, spec: found.spec, core, config };
}

/** Whether only/except let the component run for source `me`; undefined when invalid. */
function applies(
  lctx: HclLoadContext,
  core: Map<string, Attribute>,
  ctx: EvalContext,
  me: string,
  refs: string[],
): boolean | undefined {
  const only = core.get("only");
  const except = core.get("except");
  if (only && except) {
    error(lctx, except.nameRange, "Conflicting only and except", "Set only one of only and except.");
    return undefined;
  }
  const attr = only ?? except;
  if (!attr) return true;
  const names = evalStrings(lctx, attr, ctx);
  if (!names) return undefined;
  let ok = true;
  for (const n of names) {
    if (!refs.includes(n)) {
      const stripped = n.replace(/^source\./, "");
      error(
        lctx,
        attr.expr.range,
        `${attr.name}: no source of this build is named ${JSON.stringify(n)}`,
        `${attr.name} lists sources as type.name; this build's sources are: ${refs.join(", ")}.`,
        refs.includes(stripped) ? [stripped] : suggest(n, refs),
      );
      ok = false;
    }
  }
  if (!ok) return undefined;
  // An empty list filters nothing, as in Packer.
  if (names.length === 0) return true;
  return only ? names.includes(me) : !names.includes(me);
}

function coreNode(
  lctx: HclLoadContext,
  core: Map<string, Attribute>,
  keys: string[],
  ctx: EvalContext,
  pos: SourcePos,
): Extract<ValueNode, { kind: "object" }> {
  const entries: ObjectEntry[] = [];
  for (const k of keys) {
    const a = core.get(k);
    if (!a) continue;
    try {
      const v = evaluate(a.expr, ctx);
      entries.push({
        key: k,
        keyPos: toSourcePos(a.nameRange),
        value: toValueNode(v, toSourcePos(a.expr.range), a.expr),
      });
    } catch (e) {
      reportError(lctx, e);
    }
  }
  return { kind: "object", entries, pos };
}

function provisionerFor(
  lctx: HclLoadContext,
  block: Block,
  ctx: EvalContext,
  me: string,
  sourceName: string,
  refs: string[],
  label: string,
): ProvisionerDef | undefined {
  const read = readComponentBlock(
    lctx,
    block,
    ctx,
    me,
    refs,
    "provisioner",
    PROVISIONER_CORE,
    `${block.type} "shell" { inline = ["echo hello"] }`,
  );
  if (!read) return undefined;
  const { type, spec, core, config } = read;
  const blockPos = toSourcePos(block.headerRange);
  const body = bodyToNode(lctx, config, blockPos);
  if (body.failed) return undefined;
  let configNode = body.node;
  const override = core.get("override");
  if (override) configNode = applyOverride(lctx, override, ctx, configNode, sourceName, me, refs);
  const common = {
    format: "hcl" as const,
    render: identity,
    file: blockPos.file,
    templateDir: lctx.templateDir,
    cwd: lctx.opts.cwd,
    blockPos,
    what: `${label} (${type})`,
  };
  const coreRes = validateConfig(
    provisionerCoreSpec,
    coreNode(lctx, core, ["pause_before", "max_retries", "timeout", "name"], ctx, blockPos),
    common,
  );
  const own = validateConfig(spec, configNode, common);
  report(lctx, ...coreRes.diagnostics, ...own.diagnostics);
  if ([...coreRes.diagnostics, ...own.diagnostics].some((d) => d.severity === "error")) return undefined;
  const c = coreRes.config as { pause_before: number; max_retries: number; timeout: number; name?: string };
  const def: ProvisionerDef = {
    type,
    config: own.config,
    pauseBeforeMs: c.pause_before,
    maxRetries: c.max_retries,
    timeoutMs: c.timeout,
    pos: blockPos,
  };
  if (c.name !== undefined) def.name = c.name;
  return def;
}

/** `override = { <source name> = { option = value } }` replaces options for that source. */
function applyOverride(
  lctx: HclLoadContext,
  attr: Attribute,
  ctx: EvalContext,
  node: Extract<ValueNode, { kind: "object" }>,
  sourceName: string,
  me: string,
  refs: string[],
): Extract<ValueNode, { kind: "object" }> {
  let v: Value;
  try {
    v = evaluate(attr.expr, ctx);
  } catch (e) {
    reportError(lctx, e);
    return node;
  }
  if (v.isNull) return node;
  if (!isMapping(v)) {
    error(
      lctx,
      attr.expr.range,
      "Invalid override",
      'override is an object of source name → options, e.g. override = { app = { inline = ["…"] } }.',
    );
    return node;
  }
  const names = refs.flatMap((r) => [r, r.slice(r.indexOf(".") + 1)]);
  for (const k of v.entries.keys()) {
    if (!names.includes(k)) {
      error(
        lctx,
        attr.expr.range,
        `override: no source of this build is named ${JSON.stringify(k)}`,
        `override keys are source names (${refs.map((r) => r.slice(r.indexOf(".") + 1)).join(", ")}) or type.name.`,
        suggest(k, names),
      );
    }
  }
  const mine = v.entries.get(sourceName) ?? v.entries.get(me);
  if (!mine) return node;
  const overNode = toValueNode(mine, toSourcePos(attr.expr.range));
  if (overNode.kind !== "object") {
    error(lctx, attr.expr.range, "Invalid override", `override.${sourceName} must be an object of options.`);
    return node;
  }
  const replaced = new Map(overNode.entries.map((e) => [e.key, e]));
  const entries = node.entries.map((e) => replaced.get(e.key) ?? e);
  for (const e of overNode.entries) if (!node.entries.some((b) => b.key === e.key)) entries.push(e);
  return { kind: "object", entries, pos: node.pos };
}

/**
 * A post-processor of a Packer type kiln does not implement, when it applies to source `me`: its
 * error is judged once -except is known (plan/select-builds.ts). Undefined for every other block.
 */
function unsupportedPostProcessor(
  lctx: HclLoadContext,
  block: Block,
  ctx: EvalContext,
  me: string,
  refs: string[],
): { skip: true; found?: Omit<UnsupportedPostProcessor, "after"> } | undefined {
  const type = block.labels[0]?.value;
  if (block.labels.length !== 1 || type === undefined || !isNotSupported("post-processor", type))
    return undefined;
  const found = lookupComponent("post-processor", type, toSourcePos(block.labels[0]!.range));
  if (!found.diagnostic) return undefined;
  const { core } = split(expandBody(lctx, block.body, ctx), POST_PROCESSOR_CORE);
  if (!applies(lctx, core, ctx, me, refs)) return { skip: true };
  const nameAttr = core.get("name");
  let name = type;
  if (nameAttr) {
    try {
      const v = toJS(evaluate(nameAttr.expr, ctx));
      if (typeof v === "string") name = v;
    } catch {
      // an unevaluable name cannot match -except: the type stands
    }
  }
  return {
    skip: true,
    found: { name, type, diagnostic: withExcerpt(lctx, found.diagnostic, block.labels[0]!.range) },
  };
}

function postProcessorFor(
  lctx: HclLoadContext,
  block: Block,
  ctx: EvalContext,
  me: string,
  refs: string[],
): PostProcessorDef | undefined {
  const read = readComponentBlock(
    lctx,
    block,
    ctx,
    me,
    refs,
    "post-processor",
    POST_PROCESSOR_CORE,
    'post-processor "docker-tag" { repository = "app" }',
  );
  if (!read) return undefined;
  const { type, spec, core, config } = read;
  const blockPos = toSourcePos(block.headerRange);
  const common = {
    format: "hcl" as const,
    render: identity,
    file: blockPos.file,
    templateDir: lctx.templateDir,
    cwd: lctx.opts.cwd,
    blockPos,
    what: `post-processor "${type}"`,
  };
  const coreRes = validateConfig(
    postProcessorCoreSpec,
    coreNode(lctx, core, ["name", "keep_input_artifact"], ctx, blockPos),
    common,
  );
  const body = bodyToNode(lctx, config, blockPos);
  if (body.failed) return undefined;
  const own = validateConfig(spec, body.node, common);
  report(lctx, ...coreRes.diagnostics, ...own.diagnostics);
  if ([...coreRes.diagnostics, ...own.diagnostics].some((d) => d.severity === "error")) return undefined;
  const c = coreRes.config as { name?: string; keep_input_artifact?: boolean };
  const def: PostProcessorDef = {
    type,
    name: c.name ?? type,
    named: c.name !== undefined,
    config: own.config,
    pos: blockPos,
  };
  if (c.keep_input_artifact !== undefined) def.keepInputArtifact = c.keep_input_artifact;
  return def;
}
