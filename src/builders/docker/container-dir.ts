// `container_dir` (default /packer-files): Packer bind-mounts its temp directory there, and
// templates look at it. kiln uploads through the archive API instead, so it only makes the
// directory exist while the provisioners run, and removes what it created before the container is
// committed or exported: no empty stub is left in the image (Packer leaves one; docs/compat.md).
// A tmpfs mount would not do: the daemon creates the mount point in the container's own layer,
// and commit captures it (checked with Docker 20.10). The per-step cache's snapshots are images
// too: a step that is not the build's last keeps the directory in its snapshot (the next step,
// in the same container or one started from that image, finds it there: removing it and making
// it again cost two execs per step, as much as the commit), and the entry's comment says so; the
// last step's snapshot, and the result, are committed without it. When the directory must be
// made again (after the last step's snapshot), a `mkdir -p` exec does it: about half the cost of
// an archive upload on Docker 20.10 (an upload re-executes the daemon to unpack in a chroot).
import { posix } from "node:path";
import type { BuilderContext } from "../../core/builder.js";
import type { Engine } from "../../engine/types.js";
import type { DockerBuildState } from "./state.js";
import { createContainer, removeContainer, startContainer } from "./steps/container.js";
import { packDirs } from "./tar-pack.js";

/**
 * Before the result's commit or export: removes container_dir, also when the image the result
 * starts from keeps it (a cache entry of a step that was not the last when it was made), which
 * takes a running container even when every step came from the cache.
 */
export async function dropContainerDirForResult(state: DockerBuildState, ctx: BuilderContext): Promise<void> {
  const image = state.imageId;
  const kept = image === undefined ? undefined : state.scratchImages?.get(image);
  const running = state.container;
  if (kept !== undefined && !(running?.started && running.atImage === image)) {
    if (running && running.atImage !== image) await removeContainer(state, ctx);
    if (!state.container) await createContainer(state, ctx, image);
    await startContainer(state, ctx);
  }
  await dropContainerDir(state, ctx);
}

/** Whether `top` (a scratch directory a cache entry keeps) is what this build makes for `dir`. */
export function isContainerDirTop(top: string, dir: string): boolean {
  const full = posix.normalize(dir);
  return top.startsWith("/") && (full === top || full.startsWith(`${top}/`));
}

/** Makes container_dir exist in the running container (once per container, when kiln must). */
export async function ensureContainerDir(state: DockerBuildState, ctx: BuilderContext): Promise<void> {
  const running = state.container;
  if (!running || running.containerDir) return;
  const removed = running.containerDirRemoved;
  if (
    removed !== undefined &&
    (await remakeContainerDir(ctx.engine, running.id, removed, state.config.container_dir))
  ) {
    running.containerDir = { made: removed };
    return;
  }
  running.containerDir = {
    made: await createContainerDir(ctx.engine, running.id, state.config.container_dir),
  };
}

/**
 * Makes `top` and each directory below it down to `dir` again, as root with mode 0755 (what the
 * upload makes), in one exec; false if that failed (the caller uploads instead).
 */
async function remakeContainerDir(engine: Engine, id: string, top: string, dir: string): Promise<boolean> {
  const full = posix.normalize(dir);
  if (!(full === top || full.startsWith(`${top}/`))) return false;
  const below = full.slice(top.length).split("/").filter(Boolean);
  const dirs = [top, ...below.map((_, i) => `${top}/${below.slice(0, i + 1).join("/")}`)];
  try {
    const { exitCode } = await engine.exec(id, { cmd: ["mkdir", "-m", "0755", "--", ...dirs], user: "0" });
    return exitCode === 0;
  } catch {
    return false;
  }
}

/** Before a commit (snapshot or result): removes what ensureContainerDir made, saying so if it cannot. */
export async function dropContainerDir(state: DockerBuildState, ctx: BuilderContext): Promise<void> {
  const running = state.container;
  const top = running?.containerDir?.made;
  if (!running || top === undefined) return;
  delete running.containerDir;
  delete running.cleanAt;
  const problem = await removeContainerDir(ctx.engine, running.id, top);
  if (!problem) running.containerDirRemoved = top;
  if (problem) {
    ctx.ui.error(`Could not remove ${top} (made for container_dir), so it stays in the result: ${problem}`);
  }
}

/**
 * Creates `dir` (and missing parents, root-owned, 0755) unless it exists. Returns the topmost
 * directory it created, to remove later; undefined when nothing was created.
 */
export async function createContainerDir(
  engine: Engine,
  id: string,
  dir: string,
): Promise<string | undefined> {
  if (!dir.startsWith("/")) return undefined;
  const parts = posix.normalize(dir).split("/").filter(Boolean);
  // The deepest existing ancestor: everything below it is created in one archive.
  let existing = parts.length;
  while (existing > 0 && !(await engine.statPath(id, `/${parts.slice(0, existing).join("/")}`))) existing--;
  if (existing === parts.length) return undefined;
  const names = parts.slice(existing).map((_, i) => `${parts.slice(existing, existing + i + 1).join("/")}/`);
  await engine.putArchive(id, `/${parts.slice(0, existing).join("/")}`, packDirs(names, { uid: 0, gid: 0 }));
  return `/${parts.slice(0, existing + 1).join("/")}`;
}

/**
 * Removes what createContainerDir made, with whatever the provisioners put there (Packer's bind
 * mount keeps that out of the image too). Returns a problem to report; the build goes on, since
 * an image without `rm` (distroless) can only keep the directory.
 */
export async function removeContainerDir(
  engine: Engine,
  id: string,
  top: string,
): Promise<string | undefined> {
  let stderr = "";
  try {
    const { exitCode } = await engine.exec(id, {
      cmd: ["rm", "-rf", "--", top],
      user: "0",
      onStderr: (chunk) => (stderr += chunk.toString("utf8")),
    });
    if (exitCode === 0) return undefined;
    return `rm exited with status ${exitCode}${stderr.trim() ? `: ${stderr.trim()}` : ""}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
