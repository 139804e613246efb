// The provision step: hands the build session to the runner's provisioning hook (Packer's
// StepProvision), which runs the provisioners through it.
import type { BuilderContext, ProvisionHook } from "../../../core/builder.js";
import { DockerBuildSession } from "../session.js";
import type { DockerStep } from "../state.js";

export function provisionStep(ctx: BuilderContext, provision: ProvisionHook): DockerStep {
  return {
    name: "provision",
    async run(state) {
      await provision(new DockerBuildSession(state, ctx));
      ctx.signal.throwIfAborted();
    },
  };
}
