// KILN_OUTPUT for one provisioner run: an empty file in the container that the provisioner's
// commands append `name=value` lines to, read and removed when it ends (so it never reaches a
// snapshot or the image), parsed into build outputs (core/build-outputs.ts).
import { randomBytes } from "node:crypto";
import type { ProvisionContext } from "../core/component.js";
import { parseOutputs } from "../core/build-outputs.js";
import { OUTPUT_PROVISIONERS } from "../template/output-names.js";
import { BuildError } from "../core/errors.js";

/** In /tmp, which every image that can run a shell or Python has (Packer's remote_folder too). */
const OUTPUT_DIR = "/tmp";

/**
 * Runs `run` with `ctx.outputFile` set (for the provisioner types that see KILN_OUTPUT) and
 * returns what it published; undefined for other types.
 */
export async function runWithOutputs(
  type: string,
  step: string,
  ctx: ProvisionContext,
  run: (ctx: ProvisionContext) => Promise<void>,
): Promise<Record<string, string> | undefined> {
  if (!OUTPUT_PROVISIONERS.has(type)) {
    await run(ctx);
    return undefined;
  }
  const path = `${OUTPUT_DIR}/.kiln-output-${randomBytes(6).toString("hex")}`;
  // 0666: the step may run as another user than the one uploads are made as.
  await ctx.comm.uploadData(path, "", { mode: 0o666, signal: ctx.signal }).catch((e: unknown) => {
    throw new BuildError(`${step}: could not create the KILN_OUTPUT file ${path} in the container`, {
      cause: e,
    });
  });
  let ok = false;
  try {
    await run({ ...ctx, outputFile: path });
    ok = true;
  } finally {
    // Best effort, when the step failed: a kept container (-on-error=abort) should not show it.
    // A cancelled run removes the container anyway, and must not wait on one more exec.
    if (!ok && !ctx.signal.aborted) {
      await ctx.comm.run({ command: `rm -f ${path}`, signal: ctx.signal }).catch(() => undefined);
    }
  }
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await ctx.comm.run({
    command: `cat ${path} && rm -f ${path}`,
    onStdout: (l) => lines.push(l),
    onStderr: (l) => errors.push(l),
    signal: ctx.signal,
  });
  if (code !== 0) {
    throw new BuildError(
      `${step}: could not read the KILN_OUTPUT file ${path} (exit code ${code}): ${errors.join(" ").slice(0, 500)}`,
    );
  }
  return parseOutputs(lines.join("\n"), step);
}
