// `-report=FILE.json` and `-report-html=FILE.html`, shared by `kiln build` and `kiln chain`: the
// flags, their check (invalid input before anything runs) and the end-of-run write.
import type { Command } from "commander";
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { EventBus } from "../core/events.js";
import type { Engine } from "../engine/types.js";
import { ReportRecorder, type ReportFiles } from "../report/recorder.js";
import type { Ui } from "../ui/ui.js";

export interface ReportFlags {
  report?: string;
  reportHtml?: string;
}

export function addReportOptions(cmd: Command): Command {
  return cmd
    .option("--report <file.json>", "write the run report as JSON (schemas/kiln-report.schema.json)")
    .option("--report-html <file.html>", "write the run report as a self-contained HTML page");
}

/** The report files, or a message saying why a path cannot be written (exit 2). */
export function reportFilesOrSay(flags: ReportFlags, err: (line: string) => void): ReportFiles | undefined {
  const files: ReportFiles = {};
  for (const [flag, value, key] of [
    ["-report", flags.report, "json"],
    ["-report-html", flags.reportHtml, "html"],
  ] as const) {
    if (value === undefined) continue;
    const path = resolve(value);
    const dir = dirname(path);
    if (value === "" || !existsSync(dir) || !statSync(dir).isDirectory()) {
      err(
        `${flag}: cannot write ${JSON.stringify(value)}: the directory ${dir} does not exist. Create it, or choose another path.`,
      );
      return undefined;
    }
    if (existsSync(path) && statSync(path).isDirectory()) {
      err(
        `${flag}: ${JSON.stringify(value)} is a directory; give a file name, e.g. ${value.replace(/\/?$/, "/report." + key)}`,
      );
      return undefined;
    }
    files[key] = path;
  }
  if (files.json !== undefined && files.json === files.html) {
    err(`-report and -report-html name the same file ${JSON.stringify(flags.report)}; give each its own.`);
    return undefined;
  }
  return files;
}

/** Subscribes a recorder to the run's events when a report was asked for. */
export function recordReport(events: EventBus, files: ReportFiles, ui: Ui): ReportRecorder | undefined {
  if (files.json === undefined && files.html === undefined) return undefined;
  return new ReportRecorder(events, files, (s) => ui.mask(s));
}

/** Writes the report at the end of the run; a report that cannot be written fails a passing run. */
export async function finishReport(
  recorder: ReportRecorder | undefined,
  engine: Engine | undefined,
  code: number,
): Promise<number> {
  if (!recorder) return code;
  const problems = await recorder.write(engine);
  for (const p of problems) process.stderr.write(`Error: ${p}\n`);
  return problems.length > 0 && code === 0 ? 1 : code;
}
