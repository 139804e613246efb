// State shared by the parts of the HCL loader: sources for excerpts, options, and the
// diagnostics found so far (deduplicated: a provisioner evaluated for three sources reports each
// problem once).
import { formatDiagnostic, type Diagnostic } from "../diagnostic.js";
import type { LoadOptions } from "../types.js";
import type { Range } from "./ast.js";
import {
  HclError,
  SuppressedError,
  diagnosticFrom,
  diagnosticFromError,
  type SourceMap,
} from "./diagnostics.js";
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

/** The source line of a point position, with a caret under the token that starts there. */
function excerptAt(ctx: HclLoadContext, d: Diagnostic): Diagnostic {
  const pos = d.pos;
  const text = pos && ctx.sources.get(pos.file);
  if (!pos || text === undefined) return d;
  const num = String(pos.line);
  if (d.detail?.includes(`\n${num} | `) || d.detail?.startsWith(`${num} | `)) return d;
  const line = (text.split("\n")[pos.line - 1] ?? "").replace(/\r$/, "");
  const rest = line.slice(pos.column - 1);
  const token = /^("(?:[^"\\]|\\.)*"?|[\p{L}\p{N}_.-]+|.)/u.exec(rest)?.[0] ?? " ";
  const pad = line.slice(0, pos.column - 1).replace(/[^\t]/g, " ");
  const quote = `${num} | ${line}\n${" ".repeat(num.length)} | ${pad}${"^".repeat(Math.max(1, token.length))}`;
  return { ...d, detail: [d.detail, quote].filter(Boolean).join("\n\n") };
}

export function report(ctx: HclLoadContext, ...raw: Diagnostic[]): void {
  for (const d of raw.map((x) => excerptAt(ctx, x))) {
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

export function warning(
  ctx: HclLoadContext,
  range: Range | undefined,
  summary: string,
  detail?: string,
): void {
  report(
    ctx,
    diagnosticFrom(
      ctx.sources,
      summary,
      range,
      detail ? { detail, severity: "warning" } : { severity: "warning" },
    ),
  );
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
