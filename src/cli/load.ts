// Shared by build/validate/inspect: load a template with the CLI's variables, printing
// diagnostics (positioned) and mapping invalid input to exit code 2.
import { InvalidInputError, formatDiagnostic } from "../template/diagnostic.js";
import type { Template } from "../template/types.js";
import type { Command } from "commander";
import { loadTemplate } from "../template/load.js";
import { checkPushSequences } from "../post-processors/sequence-check.js";
import { checkOutputUses } from "../template/output-uses.js";
import { checkSensitiveMetadata } from "../builders/docker/sensitive-metadata.js";
import { collect, splitList } from "./argv.js";
import type { SecretMasker } from "../ui/mask.js";
import { debugDetail } from "../core/errors.js";

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

/**
 * @param masker receives every sensitive value as soon as the loader knows it, so that the
 *   diagnostics of a template that fails to load can be masked too
 */
export async function loadForCli(
  path: string,
  opts: VarOptions & { syntaxOnly?: boolean; allowUnsetRequired?: boolean },
  masker?: SecretMasker,
): Promise<Template> {
  return loadTemplate(path, {
    vars: parseVars(opts.var),
    varFiles: opts.varFile ?? [],
    env: process.env,
    cwd: process.cwd(),
    startTime: new Date(),
    syntaxOnly: opts.syntaxOnly,
    allowUnsetRequired: opts.allowUnsetRequired,
    onSecret: masker ? (v) => void masker.add(v) : undefined,
  });
}

/** Loads a template and runs the static checks (`checkTemplate`). */
export async function loadChecked(
  path: string,
  opts: VarOptions & { syntaxOnly?: boolean },
  masker?: SecretMasker,
): Promise<Template> {
  const template = await loadForCli(path, opts, masker);
  if (opts.syntaxOnly) return template;
  return checkTemplate(template);
}

/**
 * The static checks that need the whole template (split push sequences, sensitive values in image
 * metadata): errors throw, warnings join the template's.
 */
export function checkTemplate(template: Template): Template {
  const problems = [
    ...checkPushSequences(template),
    ...checkSensitiveMetadata(template),
    ...checkOutputUses(template),
  ];
  if (problems.some((d) => d.severity === "error")) throw new InvalidInputError(problems);
  template.warnings.push(...problems);
  return template;
}

/** -var, -var-file, -only, -except, as Packer's build and validate take them. */
export function addTemplateOptions(cmd: Command, verb: string): Command {
  return cmd
    .argument("<template>", "template file or directory")
    .option("--var <name=value>", "set a variable (repeatable; always wins over -var-file)", collect)
    .option("--var-file <path>", "read variables from a file (repeatable)", collect)
    .option("--only <names>", `only ${verb} these builds (comma-separated globs)`, splitList)
    .option(
      "--except <names>",
      `skip these builds${verb === "run" ? " and post-processors" : ""} (comma-separated globs)`,
      splitList,
    );
}

/**
 * A writer of lines to stderr that masks the secrets registered in `masker` (from the loader, which
 * registers them before it reports anything).
 */
export function maskedStderr(masker: SecretMasker): (s: string) => void {
  return (s) => void process.stderr.write(`${masker.mask(s)}\n`);
}

/**
 * Prints an error for the user; returns the exit code (2 for invalid input, 1 otherwise). With
 * `debug` (build's -debug), an error that is not invalid input also prints its stack and causes.
 */
export function reportError(e: unknown, err: (s: string) => void, debug = false): number {
  if (e instanceof InvalidInputError) {
    const errors = e.diagnostics.filter((d) => d.severity === "error");
    for (const d of e.diagnostics) err(formatDiagnostic(d));
    err(`\n${errors.length} error(s) found.`);
    return 2;
  }
  err(`Error: ${e instanceof Error ? e.message : String(e)}`);
  if (debug) err(debugDetail(e));
  return 1;
}
