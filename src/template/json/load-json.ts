// Loads a Packer JSON template into the typed Template: parse with positions, check the root
// keys, resolve variables, then validate every builder, provisioner and post-processor for
// each build. All problems are collected and thrown together as one InvalidInputError.
import { InvalidInputError, sortByPosition } from "../diagnostic.js";
import { packerFuncs } from "../functions/packer-funcs.js";
import { makeRenderer } from "../render.js";
import { suggest } from "../suggest.js";
import type {
  BuildDef,
  LateRenderer,
  LoadOptions,
  Template,
  UnsupportedBuild,
  VariableDecl,
} from "../types.js";
import type { DockerBuilderConfig } from "../../builders/docker/schema.js";
import type { ValueNode } from "../value-tree.js";
import { describe, validateConfig } from "../validate-config.js";
import {
  componentRenderer,
  error,
  newContext,
  report,
  userLookup,
  warning,
  type JsonLoadContext,
} from "./context.js";
import { readBuilders, type RawBuilder } from "./builders.js";
import type { BuilderNames } from "./only-except.js";
import { parseJson } from "./parse-json.js";
import { postProcessorsFor, readPostProcessors } from "./post-processors.js";
import { provisionerFor, readProvisioner } from "./provisioners.js";
import { resolveVariables } from "./variables.js";

export const ROOT_KEYS = [
  "$schema",
  "builders",
  "provisioners",
  "post-processors",
  "variables",
  "sensitive-variables",
  "error-cleanup-provisioner",
  "min_packer_version",
  "description",
  "push",
] as const;

/**
 * @param file the template path as the user wrote it (diagnostics name it so)
 * @param templateDir the template's absolute directory
 */
export async function loadJsonTemplate(
  file: string,
  templateDir: string,
  text: string,
  opts: LoadOptions,
): Promise<Template> {
  const ctx = newContext(file, templateDir, opts);
  const root = parseJson(text, file, ctx.raw).root;
  if (root.kind !== "object") {
    throw new InvalidInputError([
      {
        severity: "error",
        pos: root.pos,
        summary: `a template must be a JSON object, got ${describe(root)}`,
        detail: 'e.g. {"builders": [{"type": "docker", "image": "debian:12", "commit": true}]}',
      },
    ]);
  }
  const sections = readRoot(ctx, root);

  // Variables first: builder names may use them (`"name": "{{user \`prefix\`}}-deb"`).
  let variables: VariableDecl[];
  if (opts.syntaxOnly) {
    variables = declaredOnly(sections.get("variables"));
  } else {
    variables = await resolveVariables(ctx, sections.get("variables"), sections.get("sensitive-variables"));
  }

  const builders = readBuilders(ctx, sections.get("builders"), root.pos, ctx.misspeltRoot.has("builders"));
  const names: BuilderNames = new Map(builders.map((b) => [b.rawName, b.name]));
  const provisioners = readList(ctx, sections.get("provisioners"), "provisioners").flatMap((item, i) => {
    const p = readProvisioner(ctx, item, `provisioner ${i + 1}`, names);
    return p ? [p] : [];
  });
  const cleanupNode = sections.get("error-cleanup-provisioner");
  const cleanup = cleanupNode && readProvisioner(ctx, cleanupNode, "error-cleanup-provisioner", names);
  const postProcessors = readPostProcessors(ctx, sections.get("post-processors"), names);

  const builds: BuildDef[] = [];
  const unsupportedBuilds: UnsupportedBuild[] = [];
  for (const b of builders) {
    if (b.unsupported) unsupportedBuilds.push({ name: b.name, type: b.type, diagnostic: b.unsupported });
  }
  if (!opts.syntaxOnly) {
    for (const b of builders) {
      const build = buildFor(ctx, b);
      if (!build) continue;
      const id = { name: b.name, rawName: b.rawName, type: b.type };
      build.provisioners = provisioners.flatMap((p) => provisionerFor(ctx, p, id) ?? []);
      build.errorCleanupProvisioner = cleanup ? provisionerFor(ctx, cleanup, id) : undefined;
      const pps = postProcessorsFor(ctx, postProcessors, id);
      build.postProcessors = pps.sequences;
      if (pps.unsupported.length > 0) build.unsupportedPostProcessors = pps.unsupported;
      builds.push(build);
    }
  }

  const errors = sortByPosition(ctx.diagnostics.filter((d) => d.severity === "error"));
  if (errors.length > 0) throw new InvalidInputError(errors);
  const description = sections.get("description");
  return {
    format: "json" as const,
    path: file,
    dir: templateDir,
    description: description?.kind === "string" ? description.value : undefined,
    variables,
    builds,
    unsupportedBuilds,
    sensitiveValues: variables.filter((v) => v.sensitive && v.value !== "").map((v) => String(v.value)),
    warnings: sortByPosition(ctx.diagnostics.filter((d) => d.severity === "warning")),
    renderLate: lateRenderer(ctx),
  };
}

/** Root keys: known sections by name; "_…" keys are comments; anything else is an error. */
function readRoot(
  ctx: JsonLoadContext,
  root: Extract<ValueNode, { kind: "object" }>,
): Map<string, ValueNode> {
  const sections = new Map<string, ValueNode>();
  for (const e of root.entries) {
    if (e.key.startsWith("_")) continue;
    if (!(ROOT_KEYS as readonly string[]).includes(e.key)) {
      const s = suggest(e.key, ROOT_KEYS);
      for (const k of s) ctx.misspeltRoot.add(k);
      error(
        ctx,
        e.keyPos,
        `unknown key ${JSON.stringify(e.key)}`,
        s.length ? undefined : `top-level keys are: ${ROOT_KEYS.join(", ")} (and "_…" comments)`,
        s,
      );
      continue;
    }
    sections.set(e.key, e.value);
  }
  for (const key of ["$schema", "description", "min_packer_version"]) {
    const v = sections.get(key);
    if (v && v.kind !== "string") error(ctx, v.pos, `${key}: expected string, got ${describe(v)}`);
  }
  const push = root.entries.find((e) => e.key === "push");
  if (push)
    warning(ctx, push.keyPos, '"push" is obsolete (Atlas push was removed from Packer) and is ignored');
  return sections;
}

function readList(ctx: JsonLoadContext, node: ValueNode | undefined, key: string): ValueNode[] {
  if (!node) return [];
  if (node.kind !== "array") {
    error(ctx, node.pos, `${key}: expected a list, got ${describe(node)}`);
    return [];
  }
  return node.items;
}

function declaredOnly(node: ValueNode | undefined): VariableDecl[] {
  if (node?.kind !== "object") return [];
  return node.entries.map((e) => ({
    name: e.key,
    value: e.value.kind === "string" ? e.value.value : undefined,
    required: e.value.kind === "null",
    sensitive: false,
    pos: e.keyPos,
  }));
}

function buildFor(ctx: JsonLoadContext, b: RawBuilder): BuildDef | undefined {
  if (!b.spec) return undefined;
  const r = componentRenderer(ctx, { name: b.name, type: b.type });
  const res = validateConfig(b.spec, b.config, {
    format: "json" as const,
    render: r.render,
    checkLate: r.check,
    file: ctx.file,
    templateDir: ctx.templateDir,
    cwd: ctx.opts.cwd,
    blockPos: b.pos,
    what: `builder ${JSON.stringify(b.name)}`,
  });
  report(ctx, ...res.diagnostics);
  return {
    name: b.name,
    sourceName: b.name,
    type: "docker",
    builder: res.config as DockerBuilderConfig,
    provisioners: [],
    postProcessors: [],
    pos: b.pos,
  };
}

/** Late fields (run_command, execute_command…) render at run time with per-call `.Data`. */
function lateRenderer(ctx: JsonLoadContext): LateRenderer {
  return (text, build, data) =>
    makeRenderer({
      funcs: packerFuncs({
        inVariables: false,
        env: ctx.opts.env,
        startTime: ctx.opts.startTime,
        cwd: ctx.opts.cwd,
        templateDir: ctx.templateDir,
        buildName: build.name,
        buildType: build.type,
        user: userLookup(ctx),
      }),
      data,
    }).render(text);
}

/** Command-line problems (no position) first, then by file (in order of appearance), line, column. */
