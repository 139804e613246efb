// Static check of `changes` lines (docker builder commit, docker-import): Packer passes them to
// the daemon and fails only after provisioning; kiln refuses a bad line before any engine call.
// Blank lines are not errors: Packer passes `--change ""` and the daemon ignores it, so templates
// build `changes` from optional variables that default to "" (see nonBlankChanges).
import { CHANGE_INSTRUCTIONS } from "../builders/docker/schema.js";
import type { CheckProblem } from "./schema.js";
import { suggest } from "./suggest.js";

export function checkChanges(changes: readonly string[] | undefined, field = "changes"): CheckProblem[] {
  const problems: CheckProblem[] = [];
  (changes ?? []).forEach((line, i) => {
    const at = `${field}[${i}]`;
    const m = /^\s*(\S+)\s*(.*?)\s*$/s.exec(line);
    if (!m) return;
    const word = m[1]!;
    const args = m[2]!;
    const instruction = word.toUpperCase();
    if (!(CHANGE_INSTRUCTIONS as readonly string[]).includes(instruction)) {
      const detail =
        instruction === "MAINTAINER"
          ? 'Docker refuses MAINTAINER in commit changes (Packer\'s docs list it); use LABEL maintainer="…"'
          : `docker commit accepts: ${CHANGE_INSTRUCTIONS.join(", ")}`;
      problems.push([
        at,
        `${JSON.stringify(word)} is not an instruction docker commit accepts`,
        { detail, suggestions: suggest(instruction, CHANGE_INSTRUCTIONS) },
      ]);
      return;
    }
    if (args === "") {
      problems.push([at, `${instruction} needs an argument`, { detail: example(instruction) }]);
      return;
    }
    if (instruction === "ENV" && !args.includes("=") && !/\s/.test(args)) {
      problems.push([at, `ENV needs a name and a value`, { detail: example("ENV") }]);
    }
    if (instruction === "LABEL" && !args.includes("=") && !/\s/.test(args)) {
      problems.push([at, `LABEL needs key=value pairs`, { detail: example("LABEL") }]);
    }
  });
  return problems;
}

function example(instruction: string): string {
  const examples: Record<string, string> = {
    CMD: 'e.g. CMD ["nginx", "-g", "daemon off;"]',
    ENTRYPOINT: 'e.g. ENTRYPOINT ["/docker-entrypoint.sh"]',
    ENV: "e.g. ENV PATH=/usr/local/bin:/usr/bin or ENV LANG C.UTF-8",
    EXPOSE: "e.g. EXPOSE 80 443/tcp",
    LABEL: 'e.g. LABEL version="1.0" maintainer="me@example.com"',
    ONBUILD: "e.g. ONBUILD RUN make",
    USER: "e.g. USER nginx or USER 1000:1000",
    VOLUME: 'e.g. VOLUME ["/data"]',
    WORKDIR: "e.g. WORKDIR /app",
  };
  return examples[instruction] ?? "";
}
