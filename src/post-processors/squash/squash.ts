// docker-squash: the image artifact becomes one image whose layers are the base image's plus
// exactly one layer with everything the build added (or one layer in all, `all_layers`), with the
// same config, and history entries saying what was squashed. It works against any engine API (no
// experimental daemon flag): the image is saved, the layers above the base are merged here, and
// the result is loaded back. The classic image store already has the base layers, so only the new
// layer travels back; the containerd image store (Docker 26 with containerd-snapshotter) and
// Podman load an archive only with every layer in it, so there the base layers go back too. The result is cached under a key from the input image's layers and config: an
// unchanged rebuild followed by docker-squash costs one lookup. The per-step cache is left as it is.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pack as tarPack } from "tar-stream";
import type { Artifact } from "../../core/artifact.js";
import type { PostProcessor, PostProcessorContext, PostProcessorResult } from "../../core/component.js";
import { BuildError, errorMessage } from "../../core/errors.js";
import type { Engine } from "../../engine/types.js";
import { podmanComponent } from "../../engine/podman-component.js";
import { CACHE_REPO, entryComment, entryRef } from "../../cache/entry.js";
import { canonicalJson, sha256Hex } from "../../cache/digest.js";
import { formatDuration } from "../../ui/duration.js";
import type { DockerSquashConfig } from "../schemas.js";
import { mergeLayers } from "./merge-layers.js";
import { readSavedImage, type HistoryEntry, type ImageConfigJson } from "./saved-image.js";

export const SQUASH_BUILDER_ID = "kiln.post-processor.docker-squash"; // in IMAGE_ARTIFACT_IDS

function human(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}

/** The base's history: entries up to its `baseLayers`-th non-empty one; the rest was the build's. */
export function splitHistory(history: HistoryEntry[], baseLayers: number): [HistoryEntry[], HistoryEntry[]] {
  let seen = 0;
  let cut = 0;
  if (baseLayers > 0) {
    for (const [i, h] of history.entries()) {
      if (!h.empty_layer) seen++;
      if (seen === baseLayers) {
        cut = i + 1;
        break;
      }
    }
  }
  return [history.slice(0, cut), history.slice(cut)];
}

/** The variables a container gets from `Env`: the last setting of each name wins; sorted by name. */
export function effectiveEnv(env: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const entry of env) {
    const eq = entry.indexOf("=");
    byName.set(eq < 0 ? entry : entry.slice(0, eq), entry);
  }
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
}

export class DockerSquash implements PostProcessor {
  constructor(private readonly c: DockerSquashConfig) {}

  async process(ctx: PostProcessorContext, input: Artifact): Promise<PostProcessorResult> {
    if (input.kind !== "image") {
      throw new BuildError(
        `docker-squash needs an image: the builder must commit (commit: true), or a docker-import must come first; got ${input.builderId}`,
      );
    }
    const { engine, ui } = ctx;
    const image = await engine.inspectImage(input.imageId);
    if (!image) throw new BuildError(`docker-squash: the image ${input.imageId} is not in the engine`);
    const layers = image.RootFS?.Layers ?? [];
    let baseLayers: string[] = [];
    const baseId = ctx.buildData.SourceImageSha256;
    if (!this.c.all_layers && baseId.startsWith("sha256:")) {
      const base = await engine.inspectImage(baseId);
      baseLayers = base?.RootFS?.Layers ?? [];
      if (!baseLayers.every((l, i) => layers[i] === l)) {
        throw new BuildError(
          `docker-squash: the image is not built on the base image ${baseId.slice(0, 19)} (its layers differ); set "all_layers": true to squash everything into one layer`,
        );
      }
    }
    const squashed = layers.length - baseLayers.length;
    if (squashed <= 1 && (baseLayers.length > 0 || layers.length <= 1)) {
      ui.message(`Nothing to squash: ${input.imageId.slice(0, 19)} has ${squashed} layer(s) over its base`);
      return { artifact: input, keep: true, forceKeep: false };
    }
    const key = sha256Hex(
      canonicalJson({
        v: 1,
        kind: "docker-squash",
        // The input's content, not its ID: a fully cached rebuild commits a new image (a new
        // creation time and container hostname) with the same layers and config, and must hit.
        layers,
        config: {
          ...(image.Config ?? {}),
          Hostname: undefined,
          Domainname: undefined,
          Image: undefined,
          // Podman 4.3's commit lists the Env it adds (container=podman, TERM) in a different
          // order from one commit to the next: the key takes the variables as the container sees them.
          Env: effectiveEnv(image.Config?.Env ?? []),
        },
        base: baseLayers,
        all: this.c.all_layers,
      }),
    );
    const cached = await engine.inspectImage(entryRef(key));
    const wanted = baseLayers.length + 1;
    if (cached && (cached.RootFS?.Layers ?? []).length === wanted) {
      const age = Date.now() - new Date(cached.Created ?? 0).getTime();
      ui.say(
        `Squash of ${image.Id.slice(0, 19)} is cached: key ${key.slice(0, 12)}, ${formatDuration(BigInt(Math.max(0, age)) * 1_000_000n, 1)} old`,
      );
      return { artifact: squashedArtifact(cached.Id), keep: false, forceKeep: false };
    }
    ui.say(
      this.c.all_layers
        ? `Squashing the ${layers.length} layers of ${image.Id.slice(0, 19)} into one`
        : `Squashing the ${squashed} layers ${image.Id.slice(0, 19)} adds to its base ${baseId.slice(0, 19)} into one`,
    );
    const started = performance.now();
    const dir = await mkdtemp(join(tmpdir(), "kiln-squash-"));
    ctx.track?.add(dir);
    try {
      const allLayersLoaded = await loadNeedsAllLayers(engine);
      const saved = await readSavedImage(
        await engine.saveImages([image.Id], ctx.signal),
        dir,
        // Engines whose load needs every layer get the base layers back: keep them then.
        allLayersLoaded ? [] : baseLayers,
        ctx.signal,
      );
      const baseFiles = allLayersLoaded ? baseLayers.map((id) => layerFile(saved.layerFiles, id)) : [];
      const upper = layers.slice(baseLayers.length).map((id) => layerFile(saved.layerFiles, id));
      const mergedFile = join(dir, "squashed.tar");
      const merged = await mergeLayers(upper, mergedFile, ctx.signal);
      const config = {
        ...squashedConfig(saved.config, baseLayers, merged.diffId, squashed, this.c.all_layers),
        comment: entryComment("docker-squash", key),
      };
      const configBytes = Buffer.from(JSON.stringify(config));
      const configId = `sha256:${sha256Hex(configBytes.toString("utf8"))}`;
      await load(
        engine,
        { configBytes, baseLayers, baseFiles, mergedFile, mergedSize: merged.size, tag: key },
        ctx.signal,
      );
      // Found by its tag: the containerd image store names an image by its manifest's digest,
      // which kiln does not write, not by its config's.
      const loaded = await engine.inspectImage(entryRef(key));
      const wantedLayers = [...baseLayers, merged.diffId];
      if (!loaded || (loaded.RootFS?.Layers ?? []).join() !== wantedLayers.join())
        throw new BuildError(`docker-squash: the engine did not load the squashed image ${configId}`);
      const imageId = loaded.Id;
      ui.message(
        `Squashed image: ${imageId} (${baseLayers.length} base layer(s) + 1 layer of ${human(merged.size)}, ${merged.entries} entries) in ${formatDuration(BigInt(Math.round((performance.now() - started) * 1e6)))}`,
      );
      return { artifact: squashedArtifact(imageId), keep: false, forceKeep: false };
    } catch (e) {
      if (ctx.signal.aborted || e instanceof BuildError) throw e;
      throw new BuildError(`docker-squash failed: ${errorMessage(e)}`, { cause: e });
    } finally {
      await rm(dir, { recursive: true, force: true });
      ctx.track?.remove(dir);
    }
  }
}

function layerFile(files: ReadonlyMap<string, string>, id: string): string {
  const file = files.get(id);
  if (!file) throw new BuildError(`docker-squash: layer ${id.slice(0, 19)} was not in the saved image`);
  return file;
}

/**
 * Whether `docker load` needs every layer in the archive: Podman (from /version) and Docker's
 * containerd image store (`/info` names the snapshotter as the driver type) do; Docker's classic
 * store reuses the layers it has.
 */
async function loadNeedsAllLayers(engine: Engine): Promise<boolean> {
  if (podmanComponent(await engine.version())) return true;
  const info = await engine.info();
  return (info.DriverStatus ?? []).some(
    ([name, value]) => name === "driver-type" && value.startsWith("io.containerd.snapshotter"),
  );
}

function squashedArtifact(imageId: string): Artifact {
  return { kind: "image", builderId: SQUASH_BUILDER_ID, imageId, id: imageId, tags: [] };
}

/**
 * The input's config with its layers replaced: the base's diff IDs plus the merged one; the base's
 * history kept, the build's entries kept as empty ones (so `docker history` still says what each
 * step did), and one entry for the squashed layer.
 */
export function squashedConfig(
  config: ImageConfigJson,
  baseLayers: string[],
  diffId: string,
  squashed: number,
  all: boolean,
): ImageConfigJson {
  const [baseHistory, buildHistory] = splitHistory(config.history ?? [], baseLayers.length);
  const now = new Date().toISOString();
  return {
    ...config,
    created: now,
    rootfs: { type: "layers", diff_ids: [...baseLayers, diffId] },
    history: [
      ...baseHistory,
      ...buildHistory.map((h) => ({ ...h, empty_layer: true })),
      {
        created: now,
        created_by: `kiln docker-squash: ${squashed} layer(s) ${all ? "(all of them)" : "over the base"} squashed into this one`,
        comment: "docker-squash",
      },
    ],
  };
}

/**
 * A `docker load` archive of the squashed image: its config, the merged layer, and a manifest
 * naming the base's layers, which the classic store already has and so does not read from the
 * archive (`baseFiles` empty); for Podman and the containerd store they are in it (`baseFiles`,
 * in order).
 */
async function load(
  engine: Engine,
  image: {
    configBytes: Buffer;
    baseLayers: string[];
    baseFiles: string[];
    mergedFile: string;
    mergedSize: number;
    tag: string;
  },
  signal: AbortSignal,
): Promise<void> {
  const configName = `${sha256Hex(image.configBytes.toString("utf8"))}.json`;
  const manifest = [
    {
      Config: configName,
      RepoTags: [`${CACHE_REPO}:${image.tag}`],
      Layers: [...image.baseLayers.map((l) => `${l.slice(7)}/layer.tar`), "squashed/layer.tar"],
    },
  ];
  const pack = tarPack();
  const out = new PassThrough();
  pack.pipe(out);
  const writing = (async () => {
    const entry = (name: string, data: Buffer) =>
      new Promise<void>((resolve, reject) => pack.entry({ name }, data, (e) => (e ? reject(e) : resolve())));
    const file = (name: string, path: string, size: number) =>
      new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ name, size }, (e) => (e ? reject(e) : resolve()));
        createReadStream(path, { highWaterMark: 1024 * 1024 })
          .on("error", reject)
          .pipe(sink);
      });
    await entry(configName, image.configBytes);
    for (const [i, path] of image.baseFiles.entries()) {
      await file(`${image.baseLayers[i]!.slice(7)}/layer.tar`, path, (await stat(path)).size);
    }
    await file("squashed/layer.tar", image.mergedFile, image.mergedSize);
    await entry("manifest.json", Buffer.from(JSON.stringify(manifest)));
    pack.finalize();
  })();
  const loading = engine.loadImages(out, signal);
  await Promise.all([writing, loading]);
}

export function createDockerSquash(config: Record<string, unknown>): PostProcessor {
  return new DockerSquash(config as unknown as DockerSquashConfig);
}
