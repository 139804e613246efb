// Shared by build/validate/inspect: load a template with the CLI's variables, printing
// diagnostics (positioned) and mapping invalid input to exit code 2.
import { InvalidInputError, formatDiagnostic } from "../template/diagnostic.js";
import type { Template } from "../template/types.js";
import { loadTemplate } from "../template/load.js";

export interface VarOptions {
  var?: string[];
  varFile?: string[];
}

export function parseVars(vars: string[] = []): [string, string][] {
  return vars.map((v) => {
    const i = v.indexOf("=");
    if (i <= 0)
      throw new InvalidInputError([
        {
          severity: "error",
          summary: `-var ${JSON.stringify(v)}: expected name=value`,
          detail: "Example: -var image=debian:bookworm",
        },
      ]);
    return [v.slice(0, i), v.slice(i + 1)];
  });
}

export async function loadForCli(
  path: string,
  opts: VarOptions & { syntaxOnly?: boolean; allowUnsetRequired?: boolean },
): Promise<Template> {
  return loadTemplate(path, {
    vars: parseVars(opts.var),
    varFiles: opts.varFile ?? [],
    env: process.env,
    cwd: process.cwd(),
    startTime: new Date(),
    syntaxOnly: opts.syntaxOnly,
    allowUnsetRequired: opts.allowUnsetRequired,
  });
}

/** Prints an error for the user; returns the exit code (2 for invalid input, 1 otherwise). */
export function reportError(e: unknown, err: (s: string) => void): number {
  if (e instanceof InvalidInputError) {
    const errors = e.diagnostics.filter((d) => d.severity === "error");
    for (const d of e.diagnostics) err(formatDiagnostic(d));
    err(`\n${errors.length} error(s) found.`);
    return 2;
  }
  const debug = Boolean(process.env.KILN_LOG || process.env.PACKER_LOG);
  err(`Error: ${e instanceof Error ? (debug ? (e.stack ?? e.message) : e.message) : String(e)}`);
  return 1;
}
