// `kiln validate`: everything static, with positions; never touches the engine.
import type { Command } from "commander";
import { addTemplateOptions, loadChecked, maskedStderr, reportError } from "../load.js";
import { SecretMasker } from "../../ui/mask.js";
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
      const masker = new SecretMasker();
      const err = maskedStderr(masker);
      try {
        const t = await loadChecked(template, flags, masker);
        const { warnings } = planBuilds(t, flags.only ?? [], flags.except ?? []);
        for (const w of [...t.warnings, ...warnings]) err(formatDiagnostic(w));
        if (flags.syntaxOnly) {
          process.stdout.write("Syntax-only check passed. Everything looks okay.\n");
        } else {
          process.stdout.write("The configuration is valid.\n");
        }
        setExit(0);
      } catch (e) {
        setExit(reportError(e, err));
      }
    });
}
