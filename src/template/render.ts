// Renders template strings found in a file: runs the Go-template engine and turns its errors
// into positioned Diagnostics (the action's own line:col inside the string when the loader can
// map offsets, else the string's position).
import { InvalidInputError, type Diagnostic, type SourcePos } from "./diagnostic.js";
import { FuncError, TemplateError } from "./gotemplate/errors.js";
import { execute, functionErrors, type ExecOptions } from "./gotemplate/exec.js";
import type { ParsedTemplate } from "./gotemplate/ast.js";
import type { FuncMap } from "./gotemplate/func.js";
import { parseTemplate } from "./gotemplate/parser.js";
import { BUILD_DATA_KEYS } from "./functions/packer-funcs.js";

/** Maps an offset inside the string found at `pos` to a file position. */
export type OffsetMapper = (pos: SourcePos | undefined, offset: number) => SourcePos | undefined;

/**
 * Thrown by `user` for a variable that already failed: its own error is reported once; every
 * use of it would only bury that first error.
 */
export class SuppressedError extends Error {
  override readonly name = "SuppressedError";
}

export interface Renderer {
  /** Renders `text` found at `pos`. Throws InvalidInputError (no diagnostics when suppressed). */
  render: (text: string, pos?: SourcePos) => string;
  /** Parses and checks function names without executing (fields rendered later at run time). */
  check: (text: string, pos?: SourcePos) => void;
}

export interface RendererOptions {
  funcs: FuncMap;
  mapOffset?: OffsetMapper;
  data?: Record<string, unknown>;
  keepFieldActions?: boolean;
}

export function makeRenderer(o: RendererOptions): Renderer {
  const exec: ExecOptions = {
    funcs: o.funcs,
    data: o.data,
    keepFieldActions: o.keepFieldActions,
    noData: (path) => noDataError(path),
  };
  const fail = (e: unknown, pos: SourcePos | undefined): never => {
    if (e instanceof InvalidInputError) throw e;
    if (e instanceof SuppressedError) throw new InvalidInputError([]);
    if (e instanceof TemplateError) {
      throw new InvalidInputError([templateDiagnostic(e, pos, o.mapOffset)]);
    }
    throw e;
  };
  // Every bad function name in the string at once, not only the first.
  const checkAll = (t: ParsedTemplate, pos: SourcePos | undefined) => {
    const errors = functionErrors(t, o.funcs);
    if (errors.length > 0)
      throw new InvalidInputError(errors.map((e) => templateDiagnostic(e, pos, o.mapOffset)));
  };
  return {
    render(text, pos) {
      if (!text.includes("{{")) return text;
      try {
        const t = parseTemplate(text);
        checkAll(t, pos);
        return execute(t, exec);
      } catch (e) {
        return fail(e, pos);
      }
    },
    check(text, pos) {
      if (!text.includes("{{")) return;
      try {
        checkAll(parseTemplate(text), pos);
      } catch (e) {
        fail(e, pos);
      }
    },
  };
}

export function templateDiagnostic(
  e: TemplateError,
  pos: SourcePos | undefined,
  mapOffset: OffsetMapper | undefined,
): Diagnostic {
  const at = mapOffset?.(pos, e.offset) ?? pos;
  return {
    severity: "error",
    pos: at,
    summary: e.message,
    detail: e.extras.detail,
    suggestions: e.extras.suggestions?.length ? e.extras.suggestions : undefined,
  };
}

function noDataError(path: string[]): FuncError {
  const key = path[0]!;
  const field = `.${path.join(".")}`;
  if ((BUILD_DATA_KEYS as readonly string[]).includes(key)) {
    return new FuncError(`${field} is not available here`, {
      detail: `build data is written {{ build \`${key}\` }} in JSON templates`,
    });
  }
  return new FuncError(`${field} is not available here`, {
    detail:
      "{{ .Field }} data exists only in fields rendered at run time, such as run_command ({{.Image}}) and execute_command ({{.Path}}, {{.Vars}})",
  });
}
