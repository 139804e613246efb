// What an image is, for the comparison: its config properties and its whole filesystem (read with
// `docker export` of a container created, never started, from it).
import http from "node:http";
import {
  dockerJson,
  dockerRequest,
  endpointFromEnv,
  inspectImage,
  removeContainer,
} from "../../harness/docker-api.js";
import { isVolatile, walkTar, type FsMap } from "./tar-walk.js";

/** The image config properties compared (Config.* plus the commit's author and message). */
export const CONFIG_KEYS = [
  "Cmd",
  "Entrypoint",
  "Env",
  "ExposedPorts",
  "Labels",
  "User",
  "Volumes",
  "WorkingDir",
  "OnBuild",
  "Author",
  "Comment",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
export type ImageConfig = Record<ConfigKey, unknown>;

export interface ImageSnapshot {
  id: string;
  config: ImageConfig;
  fs: FsMap;
}

/** An empty list, map or string means the same as an absent value (the API returns either). */
export function normalizeConfigValue(v: unknown): unknown {
  if (v === undefined || v === null || v === "") return null;
  if (Array.isArray(v) && v.length === 0) return null;
  if (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0) return null;
  return v;
}

export function pickConfig(
  config: Record<string, unknown> | null | undefined,
  top: Record<string, unknown>,
): ImageConfig {
  const out = {} as ImageConfig;
  for (const key of CONFIG_KEYS) {
    const raw = key === "Author" || key === "Comment" ? top[key] : config?.[key];
    out[key] = normalizeConfigValue(key === "Env" ? sortedEnv(raw) : raw);
  }
  return out;
}

/** Env is a set of NAME=value (the names are unique); its order varies with how it was merged. */
export function sortedEnv(env: unknown): unknown {
  return Array.isArray(env) ? [...(env as string[])].sort() : env;
}

/** GET with the response streamed (exports are too big to buffer). */
function streamGet(apiPath: string): Promise<http.IncomingMessage> {
  const endpoint = endpointFromEnv();
  const options: http.RequestOptions = { method: "GET", path: apiPath, headers: { Host: "docker" } };
  if (endpoint.kind === "unix") options.socketPath = endpoint.socketPath;
  else {
    options.host = endpoint.host;
    options.port = endpoint.port;
  }
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      if ((res.statusCode ?? 0) >= 300) {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          reject(
            new Error(`GET ${apiPath}: HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString("utf8")}`),
          ),
        );
        return;
      }
      resolve(res);
    });
    req.on("error", reject);
    req.end();
  });
}

/** The image's root filesystem, volatile paths left out. */
export async function imageFilesystem(ref: string): Promise<FsMap> {
  const created = await dockerJson<{ Id: string }>("POST", "/containers/create", {
    body: { Image: ref, Cmd: ["true"], Labels: { "kiln.test": "1" }, HostConfig: { NetworkMode: "none" } },
  });
  try {
    const res = await streamGet(`/containers/${created.Id}/export`);
    const { fs } = await walkTar(res);
    for (const p of [...fs.keys()]) if (isVolatile(p)) fs.delete(p);
    return fs;
  } finally {
    await removeContainer(created.Id);
  }
}

export async function snapshotImage(ref: string): Promise<ImageSnapshot | undefined> {
  const inspected = (await inspectImage(ref)) as unknown as
    (Record<string, unknown> & { Id: string; Config: Record<string, unknown> | null }) | undefined;
  if (inspected === undefined) return undefined;
  return {
    id: inspected.Id,
    config: pickConfig(inspected.Config, inspected),
    fs: await imageFilesystem(inspected.Id),
  };
}

/** The image id a reference points at now, or undefined. */
export async function resolveImage(ref: string): Promise<string | undefined> {
  return (await inspectImage(ref))?.Id;
}

/** Removes images by tag or id (tags first, so that ids lose their names before they go). */
export async function removeImages(refs: Iterable<string>): Promise<void> {
  const all = [...new Set(refs)];
  const ordered = [
    ...all.filter((r) => !r.startsWith("sha256:")),
    ...all.filter((r) => r.startsWith("sha256:")),
  ];
  for (const ref of ordered) {
    await dockerRequest("DELETE", `/images/${encodeURIComponent(ref)}`, { query: { force: 1 } });
  }
}

/** Every tag in the engine that starts with `prefix`. */
export async function tagsWithPrefix(prefix: string): Promise<string[]> {
  const images = await dockerJson<{ RepoTags: string[] | null }[]>("GET", "/images/json");
  return images.flatMap((i) => (i.RepoTags ?? []).filter((t) => t.startsWith(prefix)));
}
