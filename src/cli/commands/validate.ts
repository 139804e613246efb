// `kiln validate`: everything static, with positions; never touches the engine.
import type { Command } from "commander";
import { collect, splitList } from "../argv.js";
import { loadForCli, reportError } from "../load.js";
import { formatDiagnostic, InvalidInputError } from "../../template/diagnostic.js";
import { checkPushSequences } from "../../post-processors/sequence-check.js";
import { checkSensitiveMetadata } from "../../builders/docker/sensitive-metadata.js";
import { selectBuilds } from "../../plan/select-builds.js";

interface ValidateFlags {
  var?: string[];
  varFile?: string[];
  only?: string[];
  except?: string[];
  syntaxOnly?: boolean;
}

export function registerValidate(program: Command, setExit: (code: number) => void): void {
  program
    .command("validate")
    .description("Check a template: syntax, options, types, variables, functions. Never contacts the engine.")
    .argument("<template>", "template file or directory")
    .option("--var <name=value>", "set a variable (repeatable)", collect)
    .option("--var-file <path>", "read variables from a file (repeatable)", collect)
    .option("--only <names>", "only validate these builds (comma-separated globs)", splitList)
    .option("--except <names>", "skip these builds (comma-separated globs)", splitList)
    .option("--syntax-only", "only check the syntax")
    .action(async (template: string, flags: ValidateFlags) => {
      try {
        const t = await loadForCli(template, flags);
        if (!flags.syntaxOnly) {
          const sequenceProblems = [...checkPushSequences(t), ...checkSensitiveMetadata(t)];
          if (sequenceProblems.some((d) => d.severity === "error"))
            throw new InvalidInputError(sequenceProblems);
          t.warnings.push(...sequenceProblems);
        }
        for (const w of t.warnings) process.stderr.write(formatDiagnostic(w) + "\n");
        if (flags.syntaxOnly) {
          process.stdout.write("Syntax-only check passed. Everything looks okay.\n");
        } else {
          selectBuilds(t.builds, flags.only ?? [], flags.except ?? []);
          process.stdout.write("The configuration is valid.\n");
        }
        setExit(0);
      } catch (e) {
        setExit(reportError(e, (s) => process.stderr.write(s + "\n")));
      }
    });
}
