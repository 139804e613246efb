// Base images the cache and plan tests move under a name: tagged (the same image) or committed
// anew (the same name, another image ID), each tracked for removal.
import { dockerJson, dockerRequest, removeContainer } from "../../harness/docker-api.js";
import { trackImage } from "./build.js";

export async function tagAs(source: string, ref: string): Promise<void> {
  const colon = ref.lastIndexOf(":");
  await dockerRequest("POST", `/images/${encodeURIComponent(source)}/tag`, {
    query: { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) },
  });
  trackImage(ref);
}

/**
 * A new image under `target`: `source` plus one (empty) committed layer. Its short-lived container
 * carries no kiln.test label: the daemon would merge it into the image and every image built on it.
 */
export async function commitOn(source: string, target: string): Promise<string> {
  const created = await dockerJson<{ Id: string }>("POST", "/containers/create", {
    body: { Image: source, Cmd: ["true"] },
  });
  try {
    const colon = target.lastIndexOf(":");
    const committed = await dockerJson<{ Id: string }>("POST", "/commit", {
      query: { container: created.Id, repo: target.slice(0, colon), tag: target.slice(colon + 1) },
      body: {},
    });
    // Podman answers the ID without its `sha256:` prefix; kiln prints it with one, as Docker does.
    return committed.Id.startsWith("sha256:") ? committed.Id : `sha256:${committed.Id}`;
  } finally {
    await removeContainer(created.Id);
  }
}
