// A sensitive value must never be written into an image's metadata (reliability bar SR-3): the
// engine keeps `changes`, the commit message and the author in the image config and history, in
// clear, for anyone who can pull the image. Masking output cannot help there, so it is refused
// before anything runs (validate and build both check it).
import type { Diagnostic } from "../../template/diagnostic.js";
import type { Template } from "../../template/types.js";
import { MIN_SECRET_LENGTH } from "../../ui/mask.js";

export function checkSensitiveMetadata(template: Template): Diagnostic[] {
  const secrets = template.sensitiveValues.filter((s) => s.length >= MIN_SECRET_LENGTH);
  if (secrets.length === 0) return [];
  const problems: Diagnostic[] = [];
  const check = (pos: Diagnostic["pos"], where: string, value: unknown): void => {
    if (typeof value !== "string" || !secrets.some((s) => value.includes(s))) return;
    problems.push({
      severity: "error",
      ...(pos ? { pos } : {}),
      summary: `${where} would write a sensitive value into the image's metadata`,
      detail:
        "changes, the commit message and the author are stored in the image's config and history, readable by anyone who can pull it; pass the value at build time instead (a provisioner's environment_vars, or a file removed before the commit)",
    });
  };
  for (const build of template.builds) {
    const c = build.builder;
    c.changes.forEach((line, i) => check(build.pos, `build ${build.name}: changes[${i}]`, line));
    check(build.pos, `build ${build.name}: message`, c.message);
    check(build.pos, `build ${build.name}: author`, c.author);
    for (const pp of build.postProcessors.flat()) {
      if (pp.type !== "docker-import") continue;
      const changes = pp.config.changes;
      if (Array.isArray(changes))
        changes.forEach((line, i) =>
          check(pp.pos ?? build.pos, `build ${build.name}: docker-import changes[${i}]`, line),
        );
    }
  }
  return problems;
}
