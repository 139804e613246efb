// The create and start steps: the build container from the base image (or, when the build
// resumes from the per-step cache, from a step's image), with its removal registered at once.
import type { BuilderContext } from "../../../core/builder.js";
import { BuildError } from "../../../core/errors.js";
import { podmanComponent } from "../../../engine/podman-component.js";
import { containerName } from "../../../core/ownership.js";
import { planContainer } from "../container-spec.js";
import { DockerCommunicator } from "../communicator.js";
import { resolveOwner } from "../owner.js";
import type { Owner } from "../tar-pack.js";
import type { DockerBuildState, DockerStep } from "../state.js";

/** Plans the container once per build (the base image's config decides its entrypoint). */
export function planOf(state: DockerBuildState, ctx: BuilderContext) {
  if (state.plan) return state.plan;
  const plan = planContainer({
    config: state.config,
    base: state.base?.Config,
    render: ctx.render,
    hostEnv: ctx.hostEnv,
    cwd: ctx.cwd,
    name: containerName(ctx.identity, state.build.name),
  });
  if (plan.problems.length > 0) throw new BuildError(plan.problems.join("; "));
  for (const note of plan.notes) ctx.ui.message(`Note: ${note}`);
  state.plan = plan;
  return plan;
}

/**
 * Creates the container at `imageId` (the base image by default) and registers its removal. A
 * container at a cached step's image says so; one made only to commit or export is not started.
 */
export async function createContainer(
  state: DockerBuildState,
  ctx: BuilderContext,
  imageId?: string,
  purpose: "run" | "commit" = "run",
) {
  const plan = planOf(state, ctx);
  const from = imageId ?? state.imageId ?? plan.spec.Image;
  const resumed = imageId !== undefined && imageId !== state.base?.Id;
  if (!resumed) ctx.ui.say("Starting docker container...");
  else if (purpose === "run")
    ctx.ui.say(`Starting docker container from the cached image ${from.slice(0, 19)}...`);
  else ctx.ui.say(`Creating a container from the cached image ${from.slice(0, 19)} to ${purpose} it...`);
  ctx.ui.message(`Run command: ${plan.display}`);
  // A container resumed from a step image gets a fresh name: the first one may still be going away.
  const spec = resumed
    ? { ...plan.spec, Image: from, name: containerName(ctx.identity, state.build.name) }
    : plan.spec;
  const runtime = spec.HostConfig?.Runtime; // the option, or run_command's --runtime
  if (runtime) await refuseIgnoredRuntime(ctx, runtime);
  const id = await ctx.engine.createContainer(spec);
  const cleanupKey = `remove container ${id}`;
  ctx.cleanup.push(cleanupKey, async () => {
    ctx.ui.say(`Killing the container: ${id}`);
    await ctx.engine.removeContainer(id);
  });
  let owner: Owner | undefined;
  const c = state.config;
  const createdFrom = resumed ? from : (state.imageId ?? from);
  state.container = {
    id,
    createdFrom,
    atImage: createdFrom,
    started: false,
    cleanupKey,
    comm: new DockerCommunicator(ctx.engine, id, {
      execUser: c.exec_user,
      tty: c.pty,
      outputReady: () => ctx.ui.ready?.(),
      uploadOwner: async () => {
        if (owner) return owner;
        const info = await ctx.engine.inspectContainer(id);
        const user = c.exec_user || info?.Config.User || "";
        owner = c.fix_upload_owner ? await resolveOwner(ctx.engine, id, user) : { uid: 0, gid: 0 };
        return owner;
      },
    }),
  };
  // A step image that keeps the container_dir kiln made: the directory is there already.
  const kept = state.scratchImages?.get(createdFrom);
  if (kept !== undefined) state.container.containerDir = { made: kept };
}

export async function startContainer(state: DockerBuildState, ctx: BuilderContext): Promise<void> {
  const container = state.container;
  if (!container) throw new Error("internal: start before create");
  await ctx.engine.startContainer(container.id);
  container.started = true;
  ctx.ui.message(`Container ID: ${container.id}`);
  ctx.buildData.ID = container.id;
  const info = await ctx.engine.inspectContainer(container.id);
  ctx.ui.say(`Using docker communicator to connect: ${info?.NetworkSettings?.IPAddress ?? ""}`);
}

/** Removes the running container now (a resume from another image replaces it). */
export async function removeContainer(state: DockerBuildState, ctx: BuilderContext): Promise<void> {
  const container = state.container;
  if (!container) return;
  state.container = undefined;
  await ctx.engine.removeContainer(container.id);
  // Released only once gone: a failed removal is retried by the build's cleanup.
  ctx.cleanup.release(container.cleanupKey);
}

/**
 * A container holding the session's image for a commit or an export. When every step came from
 * the cache none runs yet: one is created (not started: the engine commits and exports created
 * containers) from the last step's image, carrying the build container's config.
 */
export async function containerAtSessionImage(state: DockerBuildState, ctx: BuilderContext) {
  const running = state.container;
  if (running && running.atImage === state.imageId) {
    // A container holding exactly the last step's image, which it did not start from: committing
    // it would diff again everything since it started (on the containerd image store, into a layer
    // of another digest than the entry's, so a cold and a warm build would differ); a container
    // created from that image has nothing new, as in a fully cached build. The running one stays
    // in the cleanup stack, removed at the end.
    if (!(running.cleanAt === state.imageId && running.createdFrom !== state.imageId)) return running;
    state.container = undefined;
  } else if (running) {
    await removeContainer(state, ctx);
  }
  await createContainer(state, ctx, state.imageId, "commit");
  return state.container!;
}

/** With a lazy container, create and start only plan it: a step that needs one starts it. */
export function createStep(ctx: BuilderContext): DockerStep {
  return {
    name: "create",
    run: async (state) => {
      if (ctx.lazyContainer) planOf(state, ctx);
      else await createContainer(state, ctx);
    },
  };
}

export function startStep(ctx: BuilderContext): DockerStep {
  return {
    name: "start",
    run: async (state) => {
      if (!ctx.lazyContainer) await startContainer(state, ctx);
    },
  };
}

/**
 * Podman 4.3's Docker-compatible API takes `HostConfig.Runtime` and ignores it: the container
 * would run with Podman's default runtime, silently (a sandboxing runtime such as runsc would not
 * apply). Refused before anything is created.
 */
async function refuseIgnoredRuntime(ctx: BuilderContext, runtime: string): Promise<void> {
  if (!podmanComponent(await ctx.engine.version())) return;
  throw new BuildError(
    `runtime "${runtime}": Podman's Docker-compatible API ignores a container's runtime, so the build would run under Podman's default runtime instead. Set it in containers.conf ([engine] runtime = "${runtime}") and remove it from the template (runtime, or --runtime in run_command)`,
  );
}
