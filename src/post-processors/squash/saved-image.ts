// Reads a `docker save` stream of one image: its config and manifest, and each layer tar written to
// a temp file, except the layers the caller says it does not need (the base image's: the engine
// has them already). A layer's diff ID is the sha256 of its uncompressed tar, computed on the way
// through, so the legacy layout (`<id>/layer.tar`) and the OCI one (`blobs/sha256/<digest>`) are
// read the same way. The containerd image store (Docker 26 with containerd-snapshotter) saves its
// layers gzip-compressed, as its content store holds them: those are uncompressed first, since
// the diff ID is the digest of the uncompressed tar.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract as tarExtract } from "tar-stream";

export interface SavedImage {
  /** The image config as saved (its bytes hash to the image ID). */
  config: ImageConfigJson;
  /** Layer diff ID → temp file, for the layers that were kept. */
  layerFiles: Map<string, string>;
}

/** The parts of an image config document kiln reads or rewrites. */
export interface ImageConfigJson {
  rootfs: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
  created?: string;
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  author?: string;
  empty_layer?: boolean;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The config Docker's legacy save gives every layer but the top one (moby image/v1 CreateID). */
const EMPTY_V1_CONFIG = {
  Hostname: "",
  Domainname: "",
  User: "",
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: "",
  Volumes: null,
  WorkingDir: "",
  Entrypoint: null,
  OnBuild: null,
  Labels: null,
};

/**
 * The archive names under which a legacy `docker save` stores the layers `diffIds` (the bottom of
 * a longer image: never its top layer): `<v1 id>/layer.tar`, the v1 ID being the sha256 of a
 * document with sorted keys made of an empty config, the Unix epoch, the layer's chain ID and its
 * parent's v1 ID. Known before the layers arrive, they let the reader drop the base image's layers
 * unread instead of hashing and writing them to disk to learn what they are. A Docker that names
 * them otherwise only makes the reader fall back to hashing: a name can only match its own layer.
 */
export function legacyLayerNames(diffIds: readonly string[]): Set<string> {
  const names = new Set<string>();
  let chain = "";
  let parent = "";
  for (const diffId of diffIds) {
    chain = chain ? `sha256:${createHash("sha256").update(`${chain} ${diffId}`).digest("hex")}` : diffId;
    const doc = {
      container_config: EMPTY_V1_CONFIG,
      created: "1970-01-01T00:00:00Z",
      layer_id: chain,
      ...(parent ? { parent: `sha256:${parent}` } : {}),
    };
    parent = createHash("sha256").update(JSON.stringify(doc)).digest("hex");
    names.add(`${parent}/layer.tar`);
  }
  return names;
}

/**
 * The blob written to `file` (whose sha256 is `digest`) as an uncompressed file and its digest: a
 * gzip blob is uncompressed next to it (`<file>.tar`) and removed.
 */
async function uncompressed(file: string, digest: string): Promise<{ file: string; id: string }> {
  const head = Buffer.alloc(2);
  const fd = await open(file, "r");
  try {
    await fd.read(head, 0, 2, 0);
  } finally {
    await fd.close();
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) return { file, id: `sha256:${digest}` };
  const tar = `${file}.tar`;
  const hash = createHash("sha256");
  const gunzip = createGunzip();
  gunzip.on("data", (chunk: Buffer) => void hash.update(chunk));
  await pipeline(createReadStream(file), gunzip, createWriteStream(tar));
  await rm(file, { force: true });
  return { file: tar, id: `sha256:${hash.digest("hex")}` };
}

/**
 * Streams the save archive once. `*.json` files are kept in memory (manifest, configs); every
 * other file is hashed while written to `dir` (layers; in the OCI layout also blobs such as the
 * config, which the manifest then names). Files whose diff ID is one of `base` are deleted at once.
 */
export async function readSavedImage(
  save: Readable,
  dir: string,
  /** The base image's layers, bottom first. */
  base: readonly string[],
  signal?: AbortSignal,
): Promise<SavedImage> {
  const skip = new Set(base);
  const extract = tarExtract();
  // Layers known by name (legacy layout: computed v1 IDs; OCI layout: the blob digest is the
  // diff ID) are drained without being hashed or written.
  const skipNames = legacyLayerNames(base);
  const json = new Map<string, Buffer>();
  const files = new Map<string, { file: string; id: string }>();
  const temps: string[] = [];
  let n = 0;
  extract.on("entry", (header, stream, next) => {
    const name = header.name.replace(/^\.\//, "");
    const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
    if (header.type !== "file" || skipNames.has(name) || (blob && skip.has(`sha256:${blob[1]!}`))) {
      stream.on("end", next);
      stream.resume();
      return;
    }
    if (name.endsWith(".json") || name === "repositories") {
      collect(stream as unknown as Readable).then(
        (buf) => {
          json.set(name, buf);
          next();
        },
        (e: unknown) => extract.destroy(e instanceof Error ? e : new Error(String(e))),
      );
      return;
    }
    const file = join(dir, `blob-${n++}`);
    temps.push(file, `${file}.tar`);
    const hash = createHash("sha256");
    stream.on("data", (chunk: unknown) => void hash.update(chunk as Buffer));
    pipeline(stream as unknown as Readable, createWriteStream(file)).then(
      async () => {
        const stored = await uncompressed(file, hash.digest("hex"));
        const { id } = stored;
        if (skip.has(id)) await rm(stored.file, { force: true });
        else files.set(name, stored);
        next();
      },
      (e: unknown) => extract.destroy(e instanceof Error ? e : new Error(String(e))),
    );
  });
  try {
    await pipeline(save, extract, { signal });
  } catch (e) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw e;
  }
  const manifestText = json.get("manifest.json");
  if (!manifestText) throw new Error("the saved image has no manifest.json");
  const manifest = JSON.parse(manifestText.toString("utf8")) as { Config: string }[];
  const configName = manifest[0]?.Config ?? "";
  const configBytes =
    json.get(configName) ?? (files.has(configName) ? await readFile(files.get(configName)!.file) : undefined);
  if (!configBytes) throw new Error(`the saved image's config ${configName || "?"} is missing`);
  const layerFiles = new Map<string, string>();
  for (const [name, f] of files) {
    if (name === configName) await rm(f.file, { force: true });
    else layerFiles.set(f.id, f.file);
  }
  return { config: JSON.parse(configBytes.toString("utf8")) as ImageConfigJson, layerFiles };
}
