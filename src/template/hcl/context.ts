// State shared by the parts of the HCL loader: sources for excerpts, options, and the
// diagnostics found so far (deduplicated: a provisioner evaluated for three sources reports each
// problem once).
import { formatDiagnostic, type Diagnostic } from "../diagnostic.js";
import type { LoadOptions } from "../types.js";
import type { Range } from "./ast.js";
import { HclError, SuppressedError, diagnosticFrom, diagnosticFromError, type SourceMap } from "./diagnostics.js";
import type { FnEnv } from "./functions/registry.js";

export interface HclLoadContext {
  opts: LoadOptions;
  /** The template path as given (file or directory). */
  path: string;
  /** Absolute directory of the template. */
  templateDir: string;
  /** `path.root`: the template's directory as the user wrote it (Packer gives it relative). */
  pathRoot: string;
  sources: SourceMap;
  diagnostics: Diagnostic[];
  seen: Set<string>;
  fnEnv: FnEnv;
}

export function report(ctx: HclLoadContext, ...diags: Diagnostic[]): void {
  for (const d of diags) {
    const key = formatDiagnostic(d);
    if (ctx.seen.has(key)) continue;
    ctx.seen.add(key);
    ctx.diagnostics.push(d);
  }
}

export function error(
  ctx: HclLoadContext,
  range: Range | undefined,
  summary: string,
  detail?: string,
  suggestions?: string[],
): void {
  const opts: { detail?: string; suggestions?: string[] } = {};
  if (detail) opts.detail = detail;
  if (suggestions && suggestions.length > 0) opts.suggestions = suggestions;
  report(ctx, diagnosticFrom(ctx.sources, summary, range, opts));
}

export function warning(ctx: HclLoadContext, range: Range | undefined, summary: string, detail?: string): void {
  report(ctx, diagnosticFrom(ctx.sources, summary, range, detail ? { detail, severity: "warning" } : { severity: "warning" }));
}

/** Records an evaluation failure; returns false. Errors that are not HCL's propagate. */
export function reportError(ctx: HclLoadContext, e: unknown): false {
  if (e instanceof SuppressedError) return false;
  if (e instanceof HclError) {
    report(ctx, diagnosticFromError(ctx.sources, e));
    return false;
  }
  throw e;
}

/** Runs `f`, reporting an HCL error instead of throwing; undefined on failure. */
export function attempt<T>(ctx: HclLoadContext, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    reportError(ctx, e);
    return undefined;
  }
}
