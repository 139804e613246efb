// Static check of build outputs (core/build-outputs.ts): a provisioner or post-processor that
// uses `{{ build \`name\` }}` / `build.name` beyond Packer's keys needs an earlier step that can
// publish outputs (shell, ansible, ansible-local). Which names a script writes is only known when
// it runs; that no step at all could write one is known now. Pure: no engine, no I/O.
import type { Diagnostic } from "./diagnostic.js";
import { BUILD_DATA_KEYS, BUILD_DATA_SENTINEL_RE, type Template } from "./types.js";
import { OUTPUT_PROVISIONERS, outputUses } from "./output-names.js";
import { suggest } from "./suggest.js";

export function checkOutputUses(template: Template): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const build of template.builds) {
    let canProduce = false;
    const check = (config: unknown, user: string, pos: Diagnostic["pos"]) => {
      if (canProduce) return;
      for (const name of outputUses(config, BUILD_DATA_SENTINEL_RE)) {
        const builtin = BUILD_DATA_KEYS.find((k) => k.toLowerCase() === name.toLowerCase());
        out.push({
          severity: "error",
          ...(pos ? { pos } : {}),
          summary: `build ${JSON.stringify(build.name)}: ${user} uses the build output ${JSON.stringify(name)}, but no step before it can produce outputs`,
          detail:
            `Outputs come from a shell, ansible or ansible-local provisioner placed before it, which appends "${name}=value" to the file named by $KILN_OUTPUT.` +
            (builtin ? "" : ` Packer's own build data: ${BUILD_DATA_KEYS.join(", ")}.`),
          ...(builtin ? { suggestions: [builtin] } : { suggestions: suggest(name, BUILD_DATA_KEYS) }),
        });
      }
    };
    for (const [i, p] of build.provisioners.entries()) {
      check(p.config, `provisioner ${i + 1} (${p.type})`, p.pos);
      if (OUTPUT_PROVISIONERS.has(p.type)) canProduce = true;
    }
    for (const seq of build.postProcessors) {
      for (const pp of seq) check(pp.config, `post-processor ${JSON.stringify(pp.name)}`, pp.pos);
    }
  }
  return out;
}
