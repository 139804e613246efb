// Test images made directly through the Engine API (not through kiln): a busybox image with a
// large random layer, so that commit, export, save, pull and push take long enough to interrupt.
import type { DockerEndpoint } from "../../harness/docker-api.js";
import { dockerJson, dockerRequest, parseProgress } from "../../harness/docker-api.js";
import { BUSYBOX } from "./templates.js";

/** Commits busybox + `/big` (`megabytes` of random data) as `repo:tag`; returns the image id. */
export async function makeBigImage(
  endpoint: DockerEndpoint,
  repo: string,
  tag: string,
  megabytes: number,
): Promise<string> {
  const { Id } = await dockerJson<{ Id: string }>("POST", "/containers/create", {
    endpoint,
    body: {
      Image: BUSYBOX,
      Cmd: ["sh", "-c", `head -c ${megabytes * 1024 * 1024} /dev/urandom > /big`],
      Labels: { "kiln.test": "1" },
    },
  });
  try {
    await dockerJson("POST", `/containers/${Id}/start`, { endpoint });
    const waited = await dockerJson<{ StatusCode: number }>("POST", `/containers/${Id}/wait`, {
      endpoint,
      timeoutMs: 120_000,
    });
    if (waited.StatusCode !== 0) throw new Error(`writing /big failed (${waited.StatusCode})`);
    // The label keeps the harness's leak check honest: the image is the test's, not kiln's.
    const committed = await dockerJson<{ Id: string }>("POST", "/commit", {
      endpoint,
      query: { container: Id, repo, tag },
      body: {},
      timeoutMs: 120_000,
    });
    return committed.Id;
  } finally {
    await dockerRequest("DELETE", `/containers/${Id}`, { endpoint, query: { force: 1, v: 1 } });
  }
}

/** Pushes `repo:tag` to an auth-less registry through the engine. */
export async function pushImage(endpoint: DockerEndpoint, repo: string, tag: string): Promise<void> {
  const res = await dockerRequest("POST", `/images/${repo}/push`, {
    endpoint,
    query: { tag },
    headers: { "X-Registry-Auth": Buffer.from("{}").toString("base64url") },
    timeoutMs: 300_000,
  });
  const lines = parseProgress(`push ${repo}:${tag}`, res);
  if (!lines.some((l) => (l as { aux?: { Digest?: string } }).aux?.Digest)) {
    throw new Error(`push ${repo}:${tag} reported no digest`);
  }
}
