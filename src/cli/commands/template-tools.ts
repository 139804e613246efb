// Template tools: `kiln fmt` and `kiln hcl2_upgrade` (HCL2), `kiln fix` (JSON), as Packer's.
import type { Command } from "commander";
import { readFile, writeFile, rename, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fmtPaths } from "../../template/hcl/fmt-command.js";
import { hcl2Upgrade } from "../../template/hcl/upgrade.js";
import { fixTemplate } from "../../template/fix.js";
import { reportError, loadForCli, maskedStderr } from "../load.js";
import { SecretMasker } from "../../ui/mask.js";
import { InvalidInputError } from "../../template/diagnostic.js";

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.kiln-${process.pid}.partial`);
  await writeFile(temp, text);
  await rename(temp, path);
}

export function registerTemplateTools(program: Command, setExit: (code: number) => void): void {
  program
    .command("fmt")
    .description("Rewrite HCL2 templates (.pkr.hcl, .pkrvars.hcl) in the canonical format.")
    .argument("[paths...]", "files or directories", ["."])
    .option("--check", "exit 3 when a file is not formatted; write nothing")
    .option("--diff", "print the differences")
    .option("--no-write", "do not write the files")
    .option("--recursive", "also format files in subdirectories")
    .action(
      async (
        paths: string[],
        flags: { check?: boolean; diff?: boolean; write: boolean; recursive?: boolean },
      ) => {
        try {
          setExit(
            await fmtPaths(
              paths,
              {
                check: Boolean(flags.check),
                diff: Boolean(flags.diff),
                write: flags.write && !flags.check,
                recursive: Boolean(flags.recursive),
              },
              (s) => process.stdout.write(s),
            ),
          );
        } catch (e) {
          setExit(reportError(e, (s) => process.stderr.write(s + "\n")));
        }
      },
    );

  program
    .command("hcl2_upgrade")
    .description("Turn a JSON template into an equivalent HCL2 template (<file>.pkr.hcl).")
    .argument("<template>", "JSON template")
    .option("--output-file <path>", "where to write the HCL2 template")
    .action(async (template: string, flags: { outputFile?: string }) => {
      try {
        const text = await readFile(template, "utf8");
        const hcl = hcl2Upgrade(text, template);
        const out = flags.outputFile ?? `${template}.pkr.hcl`;
        await writeAtomically(out, hcl);
        process.stdout.write(`Successfully created ${out}\n`);
        setExit(0);
      } catch (e) {
        setExit(reportError(e, (s) => process.stderr.write(s + "\n")));
      }
    });

  program
    .command("fix")
    .description("Rewrite deprecated options of a JSON template to current ones; prints the fixed template.")
    .argument("<template>", "JSON template")
    .option("--no-validate", "do not validate the fixed template")
    .action(async (template: string, flags: { validate: boolean }) => {
      const masker = new SecretMasker();
      try {
        if (/\.(pkr\.)?hcl$/.test(template) || (await stat(template).catch(() => undefined))?.isDirectory()) {
          throw new InvalidInputError([
            {
              severity: "error",
              summary: `kiln fix rewrites JSON templates; ${template} is HCL2`,
              detail:
                "In HCL2, edit the options kiln validate reports as deprecated by hand (e.g. docker-tag tag = [...] → tags = [...]).",
            },
          ]);
        }
        const fixed = fixTemplate(await readFile(template, "utf8"), template);
        if (flags.validate) {
          // Validate the fixed text in place of the original, so positions point into what is printed.
          const temp = join(dirname(template), `.${basename(template)}.kiln-fix-${process.pid}.json`);
          await writeFile(temp, fixed.text);
          try {
            await loadForCli(temp, {}, masker);
          } finally {
            await import("node:fs/promises").then((fs) => fs.rm(temp, { force: true }));
          }
        }
        for (const c of fixed.changes) process.stderr.write(`fixed: ${c}\n`);
        process.stdout.write(fixed.text.endsWith("\n") ? fixed.text : fixed.text + "\n");
        setExit(0);
      } catch (e) {
        setExit(reportError(e, maskedStderr(masker)));
      }
    });
}
