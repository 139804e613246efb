// `kiln validate`: everything static, with positions; never touches the engine.
import type { Command } from "commander";
import { addTemplateOptions, loadChecked, reportError } from "../load.js";
import { formatDiagnostic } from "../../template/diagnostic.js";
import { planBuilds } from "../../plan/select-builds.js";

interface ValidateFlags {
  var?: string[];
  varFile?: string[];
  only?: string[];
  except?: string[];
  syntaxOnly?: boolean;
}

export function registerValidate(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command("validate")
    .description(
      "Check a template: syntax, options, types, variables, functions. Never contacts the engine.",
    );
  addTemplateOptions(cmd, "validate")
    .option("--syntax-only", "only check the syntax")
    .action(async (template: string, flags: ValidateFlags) => {
      try {
        const t = await loadChecked(template, flags);
        const { warnings } = planBuilds(t, flags.only ?? [], flags.except ?? []);
        for (const w of [...t.warnings, ...warnings]) process.stderr.write(formatDiagnostic(w) + "\n");
        if (flags.syntaxOnly) {
          process.stdout.write("Syntax-only check passed. Everything looks okay.\n");
        } else {
          process.stdout.write("The configuration is valid.\n");
        }
        setExit(0);
      } catch (e) {
        setExit(reportError(e, (s) => process.stderr.write(s + "\n")));
      }
    });
}
