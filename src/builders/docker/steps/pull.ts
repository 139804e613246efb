// The pull step: the engine's progress stream rendered as the docker CLI prints it (status
// lines, no progress bars), with the failure explained.
import type { Engine, ProgressEvent, RegistryAuth } from "../../../engine/types.js";
import type { BuildUi } from "../../../ui/ui.js";
import type { BuilderContext } from "../../../core/builder.js";
import { BuildError } from "../../../core/errors.js";
import { TransferTally } from "../../../core/transfer-tally.js";
import type { DockerStep } from "../state.js";
import { optionName, optionSetting, type TemplateFormat } from "../../../template/option-text.js";

export function progressPrinter(ui: BuildUi): (ev: ProgressEvent) => void {
  const seen = new Set<string>();
  return (ev) => {
    if (!ev.status || ev.progressDetail?.total) return;
    // Downloading/Extracting lines repeat per chunk; print each distinct state once.
    if (/^(Downloading|Extracting|Waiting|Verifying Checksum|Pushing)$/.test(ev.status)) return;
    const line = ev.id && !ev.status.includes(ev.id) ? `${ev.id}: ${ev.status}` : ev.status;
    if (seen.has(line)) return;
    seen.add(line);
    ui.message(line);
  };
}

export async function pullStep(
  engine: Engine,
  ui: BuildUi,
  image: string,
  opts: {
    platform?: string;
    auth?: RegistryAuth;
    signal: AbortSignal;
    templateFormat?: TemplateFormat;
    onBytes?: (moved: { current: number; total: number }) => void;
  },
): Promise<void> {
  ui.say(`Pulling Docker image: ${image}`);
  const print = progressPrinter(ui);
  const tally = new TransferTally();
  try {
    await engine.pullImage(image, {
      platform: opts.platform || undefined,
      auth: opts.auth,
      signal: opts.signal,
      onProgress: (ev) => {
        print(ev);
        const moved = tally.event(ev);
        if (moved) opts.onBytes?.(moved);
      },
    });
  } catch (e) {
    if (opts.signal.aborted) throw e;
    const cause = e instanceof Error ? e.message : String(e);
    const local = await engine.inspectImage(image).catch(() => undefined);
    if (local) {
      // Deliberate difference from Packer (docs/compat.md): a local-only base image still builds.
      ui.error(
        `Pull of ${image} failed (${cause}); using the image already present in the engine (${local.Id.slice(0, 19)}). Set ${optionSetting(opts.templateFormat, "pull", false)} to skip the pull.`,
      );
      return;
    }
    throw new BuildError(
      `Error pulling Docker image ${image}: ${cause}\nThe image is not present in the engine either. Check the image name, the registry's reachability and credentials (docker builder options login, login_server, login_username, login_password or ecr_login), or build it locally first.`,
      { cause: e },
    );
  }
}

/**
 * Pulls the base image (when `pull` is set) and resolves it: the image ID every later step and
 * the cache key start from.
 */
export function pullStepOf(ctx: BuilderContext): DockerStep {
  return {
    name: "pull",
    async run(state) {
      const c = state.config;
      const image = c.image ?? "";
      const local = ctx.localImage?.(image);
      if (c.pull && local !== undefined) {
        ctx.ui.say(`Skipping the pull of ${image}: ${local}.`);
      } else if (c.pull) {
        await pullStep(ctx.engine, ctx.ui, image, {
          platform: c.platform,
          auth: await ctx.pullAuth?.(image),
          signal: ctx.signal,
          ...(ctx.templateFormat ? { templateFormat: ctx.templateFormat } : {}),
          onBytes: (moved) => ctx.report?.transfer?.({ direction: "pull", ref: image, ...moved }),
        });
      }
      ctx.signal.throwIfAborted();
      const base = await ctx.engine.inspectImage(image);
      if (!base) {
        throw new BuildError(
          `Base image ${image} is not present in the engine (${ctx.engine.endpoint}) and ${optionName(ctx.templateFormat, "pull")} is false. Pull or build it first, or set ${optionSetting(ctx.templateFormat, "pull", true)}.`,
        );
      }
      ctx.buildData.SourceImageSha256 = base.Id;
      if (base.RepoDigests?.[0]) ctx.buildData.SourceImageDigest = base.RepoDigests[0];
      state.base = base;
      state.imageId = base.Id;
    },
  };
}
