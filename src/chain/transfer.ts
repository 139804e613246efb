// Moving a node's image to the engine of a node that needs it, when the two run on different
// engines. Through a registry the user names (-transfer-registry): tagged on the source, pushed,
// pulled on the target by digest (the registry and the engine skip the layers the target has), the
// temporary tag removed. Without one: streamed engine to engine (`GET /images/get` → `POST
// /images/load`), which the Engine API only offers whole, so kiln skips it when the target already
// has the image ID and only tags it there.
import { errorMessage } from "../core/errors.js";
import { ImageReference } from "../engine/reference.js";
import type { Engine, RegistryAuth } from "../engine/types.js";

export interface TransferEnds {
  from: Engine;
  to: Engine;
  /** For messages: "a" → "b". */
  fromName: string;
  toName: string;
}

export interface TransferImage {
  /** The image ID on the source engine. */
  imageId: string;
  /** Its tags (the node's produced references); the target gets the same. */
  tags: readonly string[];
}

export interface TransferOptions {
  /** `host[:port]/repository`: the registry route; undefined: streamed. */
  registry?: string;
  auth?: (registry: string) => Promise<RegistryAuth | undefined>;
  signal: AbortSignal;
  say(message: string): void;
}

export type TransferResult =
  { how: "present" | "streamed"; imageId: string } | { how: "registry"; imageId: string; digest: string };

export async function transferImage(
  ends: TransferEnds,
  image: TransferImage,
  opts: TransferOptions,
): Promise<TransferResult> {
  const { from, to } = ends;
  const route = `engine ${ends.fromName} to engine ${ends.toName}`;
  try {
    const present = await to.inspectImage(image.imageId);
    if (present !== undefined) {
      await tagAll(to, image.imageId, image.tags);
      opts.say(`${short(image.imageId)} is already on engine ${ends.toName}: tagged, nothing moved`);
      return { how: "present", imageId: image.imageId };
    }
    if (opts.registry !== undefined) return await throughRegistry(ends, image, opts.registry, opts);
    opts.say(`Streaming ${describe(image)} from ${route}`);
    const tar = await from.saveImages(image.tags.length > 0 ? [...image.tags] : [image.imageId], opts.signal);
    await to.loadImages(tar, opts.signal);
    const loaded = await to.inspectImage(image.imageId);
    if (loaded === undefined)
      throw new Error(`after the load, engine ${ends.toName} has no image ${short(image.imageId)}`);
    return { how: "streamed", imageId: image.imageId };
  } catch (e) {
    throw new Error(`moving ${describe(image)} from ${route} failed: ${errorMessage(e)}`, { cause: e });
  }
}

async function throughRegistry(
  ends: TransferEnds,
  image: TransferImage,
  registry: string,
  opts: TransferOptions,
): Promise<TransferResult> {
  const repo = ImageReference.parse(registry);
  const name = repo.familiarName;
  // One tag per image ID: two nodes moving the same image write the same tag.
  const tag = `kiln-transfer-${bareId(image.imageId).slice(0, 32)}`;
  const auth = await opts.auth?.(repo.registry);
  opts.say(`Moving ${describe(image)} from engine ${ends.fromName} to engine ${ends.toName} through ${name}`);
  await ends.from.tagImage(image.imageId, name, tag);
  let digest: string;
  try {
    ({ digest } = await ends.from.pushImage(name, tag, { ...(auth ? { auth } : {}), signal: opts.signal }));
  } finally {
    await ends.from.removeImage(`${name}:${tag}`, { noprune: true }).catch(() => undefined);
  }
  const byDigest = `${name}@${digest}`;
  await ends.to.pullImage(byDigest, { ...(auth ? { auth } : {}), signal: opts.signal });
  const pulled = await ends.to.inspectImage(byDigest);
  if (pulled === undefined) throw new Error(`engine ${ends.toName} has no ${byDigest} after pulling it`);
  await tagAll(ends.to, pulled.Id, image.tags);
  // The digest reference names the transfer registry, not the user's image: dropped once tagged.
  if (image.tags.length > 0) await ends.to.removeImage(byDigest, { noprune: true }).catch(() => undefined);
  opts.say(`Pulled ${byDigest} on engine ${ends.toName}`);
  return { how: "registry", imageId: pulled.Id, digest };
}

async function tagAll(engine: Engine, id: string, tags: readonly string[]): Promise<void> {
  for (const t of tags) {
    const ref = ImageReference.parse(t);
    await engine.tagImage(id, ref.familiarName, ref.tagOrLatest);
  }
}

function bareId(id: string): string {
  return id.replace(/^sha256:/, "");
}

function short(id: string): string {
  return bareId(id).slice(0, 12);
}

function describe(image: TransferImage): string {
  return image.tags[0] ?? short(image.imageId);
}
