// The first step's container settings as `kiln plan` sees them without creating anything: the same
// planContainer + containerSettings the session's `settings` come from, given the base image as the
// engine has it. Problems (a bad run_command) are returned, not thrown: plan reports them.
import type { ImageInspect } from "../../engine/types.js";
import type { DockerBuilderConfig } from "./schema.js";
import { containerSettings, planContainer } from "./container-spec.js";

export function plannedSettings(
  config: DockerBuilderConfig,
  base: ImageInspect,
  ctx: {
    render: (text: string, data?: Record<string, string>) => string;
    hostEnv: NodeJS.ProcessEnv;
    cwd: string;
  },
): { settings: Record<string, unknown>; problems: string[] } {
  // The container's name is per run and left out of the settings; any name does.
  const plan = planContainer({ config, base: base.Config, ...ctx, name: "kiln-plan" });
  return { settings: containerSettings(plan, config), problems: plan.problems };
}
