// State shared by the parts of the JSON loader: where the template is, what the user passed,
// the resolved variables, and the diagnostics found so far (deduplicated: a provisioner that
// applies to three builds is validated three times but each problem is reported once).
import { InvalidInputError, type Diagnostic, type SourcePos } from "../diagnostic.js";
import type { LoadOptions } from "../types.js";
import { FuncError } from "../gotemplate/errors.js";
import { formatDiagnostic } from "../diagnostic.js";
import { packerFuncs } from "../functions/packer-funcs.js";
import { makeRenderer, SuppressedError, type Renderer } from "../render.js";
import { suggest } from "../suggest.js";
import { posInJsonString } from "./string-pos.js";

export interface JsonLoadContext {
  /** The template path as the user gave it: diagnostics name it so. */
  file: string;
  /** Absolute directory of the template (template_dir). */
  templateDir: string;
  opts: LoadOptions;
  /** JSON literals of string nodes in every file read (template, var-files), by node position. */
  raw: WeakMap<SourcePos, string>;
  /** Final variable values; `broken` ones failed and were reported already. */
  values: Map<string, string>;
  broken: Set<string>;
  diagnostics: Diagnostic[];
  seen: Set<string>;
  /** Root keys an unknown key was suggested as ("bulders" → builders). */
  misspeltRoot: Set<string>;
}

export function newContext(file: string, templateDir: string, opts: LoadOptions): JsonLoadContext {
  return {
    file,
    templateDir,
    opts,
    raw: new WeakMap(),
    values: new Map(),
    broken: new Set(),
    diagnostics: [],
    seen: new Set(),
    misspeltRoot: new Set(),
  };
}

export function report(ctx: JsonLoadContext, ...diags: Diagnostic[]): void {
  for (const d of diags) {
    const key = formatDiagnostic(d);
    if (ctx.seen.has(key)) continue;
    ctx.seen.add(key);
    ctx.diagnostics.push(d);
  }
}

export function error(
  ctx: JsonLoadContext,
  pos: SourcePos | undefined,
  summary: string,
  detail?: string,
  suggestions?: string[],
): void {
  report(ctx, {
    severity: "error",
    pos,
    summary,
    detail,
    suggestions: suggestions?.length ? suggestions : undefined,
  });
}

export function warning(
  ctx: JsonLoadContext,
  pos: SourcePos | undefined,
  summary: string,
  detail?: string,
  suggestions?: string[],
): void {
  report(ctx, {
    severity: "warning",
    pos,
    summary,
    detail,
    suggestions: suggestions?.length ? suggestions : undefined,
  });
}

export function mapOffset(
  ctx: JsonLoadContext,
): (pos: SourcePos | undefined, offset: number) => SourcePos | undefined {
  return (pos, offset) => {
    const raw = pos && ctx.raw.get(pos);
    return raw ? posInJsonString(raw, pos, offset) : pos;
  };
}

/** `{{ user "x" }}` outside the variables section: a hard error for undefined names (Packer: ""). */
export function userLookup(ctx: JsonLoadContext): (name: string) => string {
  return (name) => {
    const v = ctx.values.get(name);
    if (v !== undefined) return v;
    if (ctx.broken.has(name)) throw new SuppressedError(name);
    throw new FuncError(`undefined variable ${JSON.stringify(name)}`, {
      suggestions: suggest(name, ctx.values.keys()),
      detail: `declare it in "variables" (e.g. "${name}": "default") or pass -var ${name}=…`,
    });
  };
}

/** The renderer for a component's config: functions with build_name/build_type of `build`. */
export function componentRenderer(ctx: JsonLoadContext, build?: { name: string; type: string }): Renderer {
  const { opts } = ctx;
  return makeRenderer({
    funcs: packerFuncs({
      inVariables: false,
      env: opts.env,
      startTime: opts.startTime,
      cwd: opts.cwd,
      templateDir: ctx.templateDir,
      buildName: build?.name,
      buildType: build?.type,
      user: userLookup(ctx),
    }),
    mapOffset: mapOffset(ctx),
  });
}

/** Renders, reporting failures; undefined when it failed. */
export function tryRender(
  ctx: JsonLoadContext,
  r: Renderer,
  text: string,
  pos: SourcePos | undefined,
): string | undefined {
  try {
    return r.render(text, pos);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    report(ctx, ...e.diagnostics);
    return undefined;
  }
}
