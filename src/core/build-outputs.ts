// Build outputs: values a provisioner publishes by appending to the file named by KILN_OUTPUT in
// the container, in GitHub Actions' format (`name=value` lines, and `name<<DELIMITER` … `DELIMITER`
// for a multi-line value). They join the build data: `{{ build \`name\` }}` / `build.name` in every
// later provisioner and post-processor. Pure: parsing (names: template/output-names.ts).
import { outputNameProblem } from "../template/output-names.js";
import { BuildError } from "./errors.js";

/**
 * Parses the KILN_OUTPUT file. Later lines win over earlier ones for the same name (a retried
 * step appends again). Throws a BuildError naming the line for anything else.
 */
export function parseOutputs(text: string, step: string): Record<string, string> {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const out: Record<string, string> = {};
  const fail = (n: number, what: string) => new BuildError(`${step}: KILN_OUTPUT line ${n}: ${what}`);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const heredoc = /^([^=<]*)<<(.+)$/.exec(line);
    const eq = line.indexOf("=");
    let name: string;
    let value: string;
    if (heredoc && (eq === -1 || eq > line.indexOf("<<"))) {
      name = heredoc[1]!;
      const delimiter = heredoc[2]!;
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.replace(/\r$/, "") !== delimiter; i++) {
        body.push(lines[i]!.replace(/\r$/, ""));
      }
      if (i >= lines.length) {
        throw fail(
          start + 1,
          `${JSON.stringify(name)}'s value has no closing ${JSON.stringify(delimiter)} line`,
        );
      }
      value = body.join("\n");
    } else if (eq > 0) {
      name = line.slice(0, eq);
      value = line.slice(eq + 1);
    } else {
      throw fail(i + 1, `expected name=value or name<<DELIMITER, got ${JSON.stringify(line.slice(0, 80))}`);
    }
    const problem = outputNameProblem(name);
    if (problem) throw fail(i + 1, problem);
    out[name] = value;
  }
  return out;
}
