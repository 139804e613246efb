// A private host directory for the build's host-side files (scripts and env files on their way
// into the container, ansible inventories and extra-vars files), removed at cleanup.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuilderContext } from "../../../core/builder.js";
import type { DockerStep } from "../state.js";

export function tempDirStep(ctx: BuilderContext): DockerStep {
  return {
    name: "temp-dir",
    async run(state) {
      const dir = await mkdtemp(join(tmpdir(), `kiln-${ctx.identity.runId.slice(0, 8)}-`));
      ctx.track?.add(dir);
      ctx.cleanup.push(`remove temporary directory ${dir}`, async () => {
        await rm(dir, { recursive: true, force: true });
        ctx.track?.remove(dir);
      });
      state.tempDir = dir;
    },
  };
}
