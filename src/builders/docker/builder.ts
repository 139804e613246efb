// The docker builder: pull → create+start → provision (through the Communicator) → commit,
// export or discard. Each acquisition registers its undo on the next line.
import { mkdtemp, rm, stat, mkdir, rename } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, basename } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Engine, RegistryAuth, ContainerSpec } from "../../engine/types.js";
import type { BuildUi } from "../../ui/ui.js";
import type { BuildDef } from "../../template/types.js";
import type { Artifact } from "../../run/artifact.js";
import type { CleanupStack } from "../../run/cleanup-stack.js";
import { BuildError, type BuildData, type PathTracker } from "../../run/types.js";
import { containerName, type RunIdentity } from "../../run/ownership.js";
import { DockerCommunicator } from "./communicator.js";
import { mapRunCommand, mapDevice, parseTmpfs } from "./run-command.js";
import { pullStep } from "./pull.js";
import { commitChanges, shellAsCmd } from "./commit-changes.js";
import { resolveOwner } from "./owner.js";
import type { Owner } from "./tar-pack.js";
import { optionName, optionSetting, type TemplateFormat } from "../../template/option-text.js";

export interface DockerBuildDeps {
  engine: Engine;
  ui: BuildUi;
  identity: RunIdentity;
  cleanup: CleanupStack;
  signal: AbortSignal;
  buildData: BuildData;
  render: (text: string, data?: Record<string, string>) => string;
  /** Credentials for the base image's registry (builder login options, then the docker config chain). */
  pullAuth?: (image: string) => Promise<RegistryAuth | undefined>;
  /** The run's journal of host paths. */
  track?: PathTracker;
  /** The syntax of the template being run, for hints that quote an option (JSON when absent). */
  templateFormat?: TemplateFormat;
  /** Called once the container is running: runs the provisioners. */
  provision: (comm: DockerCommunicator, tempDir: string) => Promise<void>;
  /** Output files are written to a temp name then renamed. */
}

export interface DockerBuildResult {
  artifact: Artifact;
  containerId?: string;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_\-./:=@%+,]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}

export async function runDockerBuild(build: BuildDef, deps: DockerBuildDeps): Promise<DockerBuildResult> {
  const { engine, ui, cleanup, signal } = deps;
  const c = build.builder;

  ui.say("Creating a temporary directory for sharing data...");
  const tempDir = await mkdtemp(join(tmpdir(), `kiln-${deps.identity.runId.slice(0, 8)}-`));
  deps.track?.add(tempDir);
  cleanup.push(`remove temporary directory ${tempDir}`, async () => {
    await rm(tempDir, { recursive: true, force: true });
    deps.track?.remove(tempDir);
  });

  const image = c.image ?? "";
  if (c.pull) {
    await pullStep(engine, ui, image, {
      platform: c.platform,
      auth: await deps.pullAuth?.(image),
      signal,
      templateFormat: deps.templateFormat,
    });
  }
  signal.throwIfAborted();
  const base = await engine.inspectImage(image);
  if (!base) {
    throw new BuildError(
      `Base image ${image} is not present in the engine (${engine.endpoint}) and ${optionName(deps.templateFormat, "pull")} is false. Pull or build it first, or set ${optionSetting(deps.templateFormat, "pull", true)}.`,
    );
  }
  deps.buildData.SourceImageSha256 = base.Id;
  if (base.RepoDigests?.[0]) deps.buildData.SourceImageDigest = base.RepoDigests[0];

  ui.say("Starting docker container...");
  const runArgs = c.run_command.map((a) => deps.render(a, { Image: image }));
  const mapped = mapRunCommand(runArgs, { hostEnv: process.env, cwd: process.cwd() });
  const tmpfs = c.tmpfs.map(parseTmpfs);
  const devices = c.device.map(mapDevice);
  const problems = [
    ...mapped.problems.map((p) => `run_command: ${p}`),
    ...tmpfs.flatMap((t) => (t.ok ? [] : [`tmpfs: ${t.problem}`])),
    ...devices.flatMap((d) => (d.ok ? [] : [`device: ${d.problem}`])),
  ];
  if (problems.length > 0) throw new BuildError(problems.join("; "));
  for (const note of mapped.notes) ui.message(`Note: ${note}`);
  // With a base image that has no entrypoint, `--entrypoint=/bin/sh` and no arguments is the same
  // process as Cmd ["/bin/sh"]; running it that way keeps the container's (and so the committed
  // image's) Entrypoint null, exactly as the base image had it (see commit-changes.ts).
  const keepNullEntrypoint =
    shellAsCmd(base.Config, c.changes) && mapped.spec.Entrypoint?.length === 1 && mapped.cmd.length === 0;
  const spec: ContainerSpec = {
    ...mapped.spec,
    Image: mapped.image,
    Entrypoint: keepNullEntrypoint ? undefined : mapped.spec.Entrypoint,
    Cmd: keepNullEntrypoint ? mapped.spec.Entrypoint! : mapped.cmd,
    // Ownership is in the name: labels would be merged into the committed image (see ownership.ts).
    name: mapped.spec.name ?? containerName(deps.identity, build.name),
    Labels: { ...(mapped.spec.Labels ?? {}) },
    platform: c.platform || mapped.spec.platform || undefined,
    HostConfig: {
      ...mapped.spec.HostConfig,
      Privileged: c.privileged || mapped.spec.HostConfig.Privileged,
      CapAdd: [...(mapped.spec.HostConfig.CapAdd ?? []), ...c.cap_add],
      CapDrop: [...(mapped.spec.HostConfig.CapDrop ?? []), ...c.cap_drop],
      Binds: [
        ...(mapped.spec.HostConfig.Binds ?? []),
        ...Object.entries(c.volumes).map(
          ([h, ctr]) => `${h.replace(/^~(?=\/)/, process.env.HOME ?? "~")}:${ctr}`,
        ),
      ],
      Tmpfs: {
        ...(mapped.spec.HostConfig.Tmpfs ?? {}),
        ...Object.fromEntries(tmpfs.flatMap((t) => (t.ok ? [[t.value.target, t.value.options]] : []))),
      },
      Devices: [
        ...(mapped.spec.HostConfig.Devices ?? []),
        ...devices.flatMap((d) => (d.ok ? [d.value] : [])),
      ],
      Runtime: c.runtime || mapped.spec.HostConfig.Runtime,
    },
  };
  const flags = [
    ...c.device.flatMap((d) => ["--device", d]),
    ...c.cap_add.flatMap((x) => ["--cap-add", x]),
    ...c.cap_drop.flatMap((x) => ["--cap-drop", x]),
    ...(c.privileged ? ["--privileged"] : []),
    ...(c.runtime ? ["--runtime", c.runtime] : []),
    ...(c.platform ? ["--platform", c.platform] : []),
    ...c.tmpfs.flatMap((t) => ["--tmpfs", t]),
    ...Object.entries(c.volumes).flatMap(([h, ctr]) => ["-v", `${h}:${ctr}`]),
  ];
  ui.message(`Run command: docker run ${[...flags, ...runArgs].map(shellQuote).join(" ")}`);
  const id = await engine.createContainer(spec);
  cleanup.push(`remove container ${id}`, async () => {
    ui.say(`Killing the container: ${id}`);
    await engine.removeContainer(id);
  });
  await engine.startContainer(id);
  ui.message(`Container ID: ${id}`);
  deps.buildData.ID = id;

  const info = await engine.inspectContainer(id);
  const ip = info?.NetworkSettings?.IPAddress ?? "";
  ui.say(`Using docker communicator to connect: ${ip}`);

  let owner: Owner | undefined;
  const ownerUser = c.exec_user || info?.Config.User || "";
  const comm = new DockerCommunicator(engine, id, {
    execUser: c.exec_user,
    tty: c.pty,
    outputReady: () => ui.ready?.(),
    uploadOwner: async () =>
      (owner ??= c.fix_upload_owner ? await resolveOwner(engine, id, ownerUser) : { uid: 0, gid: 0 }),
  });

  await deps.provision(comm, tempDir);
  signal.throwIfAborted();

  if (c.commit) {
    ui.say("Committing the container");
    // Deliberately not cancellable: the engine finishes a commit even when the client goes away,
    // so abandoning the request would leave an untagged image nobody knows about (reliability bar
    // #21). Wait for it, then remove the image if the build was cancelled meanwhile.
    const onAbort = () => ui.say("Waiting for the engine to finish the commit, to remove its image...");
    signal.addEventListener("abort", onAbort, { once: true });
    let imageId: string;
    try {
      imageId = await engine.commitContainer(id, {
        ...commitChanges(c.changes, base.Config, spec.Entrypoint !== undefined),
        author: c.author || undefined,
        comment: c.message || undefined,
      });
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (signal.aborted) {
      ui.say(`Removing the image committed after the build was cancelled: ${imageId}`);
      await engine.removeImage(imageId, { force: true });
      signal.throwIfAborted();
    }
    ui.message(`Image ID: ${imageId}`);
    deps.buildData.ImageSha256 = imageId;
    return {
      containerId: id,
      artifact: {
        kind: "image",
        builderId: "packer.post-processor.docker-import",
        imageId,
        id: imageId,
        tags: [],
      },
    };
  }
  if (c.export_path) {
    ui.say("Exporting the container");
    await exportTo(engine, id, c.export_path, signal, deps.track);
    return { containerId: id, artifact: { kind: "export", builderId: "packer.docker", path: c.export_path } };
  }
  return { containerId: id, artifact: { kind: "export", builderId: "packer.docker", path: "" } };
}

/** Streams the export to a temp file beside the target, then renames: never a truncated file. */
async function exportTo(
  engine: Engine,
  id: string,
  path: string,
  signal: AbortSignal,
  track?: PathTracker,
): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (st?.isDirectory()) throw new BuildError(`export_path must be a file, not a directory: ${path}`);
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.kiln-${process.pid}-${Date.now()}.partial`);
  track?.add(temp);
  try {
    const tar = await engine.exportContainer(id, signal);
    await pipeline(tar, createWriteStream(temp), { signal });
    await rename(temp, path);
    track?.remove(temp);
  } catch (e) {
    await rm(temp, { force: true });
    track?.remove(temp);
    throw new BuildError(
      `Error exporting the container to ${path}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}
