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
  // The file is not made beforehand: `>>` creates it (/tmp is writable by every user), and a
  // step that publishes nothing costs one archive request afterwards, no exec.
  const path = `${OUTPUT_DIR}/.kiln-output-${randomBytes(6).toString("hex")}`;
  let ok = false;
  try {
    await run({ ...ctx, outputFile: path });
    ok = true;
  } finally {
    // When the step failed: a kept container (-on-error=abort) should not show the file. A
    // cancelled run removes the container anyway, and must not wait on more requests.
    if (!ok && !ctx.signal.aborted) await removeOutputFile(ctx, path).catch(() => undefined);
  }
  let content: Buffer | undefined;
  try {
    content = await ctx.comm.readFile(path, ctx.signal);
  } catch (e) {
    throw new BuildError(`${step}: could not read the KILN_OUTPUT file ${path}`, { cause: e });
  }
  if (content === undefined) return {};
  // Removed before any snapshot or commit: it must never reach an image.
  const code = await ctx.comm.run({ command: `rm -f ${path}`, signal: ctx.signal });
  if (code !== 0) {
    throw new BuildError(`${step}: could not remove the KILN_OUTPUT file ${path} (exit code ${code})`);
  }
  return parseOutputs(content.toString("utf8"), step);
}

async function removeOutputFile(ctx: ProvisionContext, path: string): Promise<void> {
  if ((await ctx.comm.readFile(path, ctx.signal)) === undefined) return;
  await ctx.comm.run({ command: `rm -f ${path}`, signal: ctx.signal });
}
