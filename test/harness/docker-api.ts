// A deliberately small Docker Engine API client for the test harness. It does not use kiln's own
// engine code (src/engine/): the harness must be able to judge that code, not depend on it.
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { Readable } from "node:stream";

export type DockerEndpoint =
  | { kind: "unix"; socketPath: string }
  | { kind: "tcp"; host: string; port: number; tls?: { ca: Buffer; cert: Buffer; key: Buffer } };

export const DEFAULT_SOCKET = "/var/run/docker.sock";

/** Parses a DOCKER_HOST value (`unix:///path` or `tcp://host:port`, TLS from DOCKER_TLS_VERIFY). */
export function parseDockerHost(value: string, env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  if (value.startsWith("unix://")) return { kind: "unix", socketPath: value.slice("unix://".length) };
  if (value.startsWith("tcp://") || value.startsWith("http://") || value.startsWith("https://")) {
    const url = new URL(value.replace(/^tcp:/, "http:"));
    const useTls = value.startsWith("https://") || (env.DOCKER_TLS_VERIFY ?? "") !== "";
    const endpoint: DockerEndpoint = {
      kind: "tcp",
      host: url.hostname,
      port: url.port === "" ? (useTls ? 2376 : 2375) : Number(url.port),
    };
    if (useTls) {
      const certDir = env.DOCKER_CERT_PATH ?? path.join(env.HOME ?? "/root", ".docker");
      endpoint.tls = {
        ca: readFileSync(path.join(certDir, "ca.pem")),
        cert: readFileSync(path.join(certDir, "cert.pem")),
        key: readFileSync(path.join(certDir, "key.pem")),
      };
    }
    return endpoint;
  }
  throw new Error(`unsupported DOCKER_HOST ${JSON.stringify(value)}: use unix:///path or tcp://host:port`);
}

export function formatDockerHost(endpoint: DockerEndpoint): string {
  return endpoint.kind === "unix"
    ? `unix://${endpoint.socketPath}`
    : `tcp://${endpoint.host}:${endpoint.port}`;
}

/** The engine the tests talk to: DOCKER_HOST when set (the runner always sets it), else the default socket. */
export function endpointFromEnv(env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const host = env.DOCKER_HOST;
  return host !== undefined && host !== ""
    ? parseDockerHost(host, env)
    : { kind: "unix", socketPath: DEFAULT_SOCKET };
}

export interface DockerResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  endpoint?: DockerEndpoint;
  query?: Record<string, string | string[] | number | boolean | undefined>;
  /** A Buffer/string is sent as is, a Readable is streamed (chunked), anything else as JSON. */
  body?: Buffer | string | Readable | object;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class DockerApiError extends Error {
  constructor(
    readonly method: string,
    readonly apiPath: string,
    readonly status: number,
    readonly detail: string,
  ) {
    super(`${method} ${apiPath} failed with HTTP ${status}: ${detail}`);
    this.name = "DockerApiError";
  }
}

function buildPath(apiPath: string, query: RequestOptions["query"]): string {
  if (query === undefined) return apiPath;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
  }
  const text = params.toString();
  return text === "" ? apiPath : `${apiPath}?${text}`;
}

/** One request; the whole response body is buffered (harness responses are small). Never throws on HTTP status. */
export function dockerRequest(
  method: string,
  apiPath: string,
  opts: RequestOptions = {},
): Promise<DockerResponse> {
  const endpoint = opts.endpoint ?? endpointFromEnv();
  const headers: Record<string, string> = { ...opts.headers };
  let payload: Buffer | Readable | undefined;
  if (opts.body instanceof Readable) {
    payload = opts.body;
  } else if (Buffer.isBuffer(opts.body) || typeof opts.body === "string") {
    payload = Buffer.from(opts.body);
  } else if (opts.body !== undefined) {
    payload = Buffer.from(JSON.stringify(opts.body));
    headers["Content-Type"] ??= "application/json";
  }
  if (Buffer.isBuffer(payload)) headers["Content-Length"] = String(payload.length);

  const requestOptions: https.RequestOptions = {
    method,
    path: buildPath(apiPath, opts.query),
    headers: { Host: "docker", ...headers },
  };
  if (endpoint.kind === "unix") requestOptions.socketPath = endpoint.socketPath;
  else {
    requestOptions.host = endpoint.host;
    requestOptions.port = endpoint.port;
    if (endpoint.tls !== undefined) Object.assign(requestOptions, endpoint.tls);
  }
  const transport = endpoint.kind === "tcp" && endpoint.tls !== undefined ? https : http;

  return new Promise<DockerResponse>((resolve, reject) => {
    const req = transport.request(requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    if (opts.timeoutMs !== undefined) {
      req.setTimeout(opts.timeoutMs, () =>
        req.destroy(new Error(`${method} ${apiPath} timed out after ${opts.timeoutMs} ms`)),
      );
    }
    if (payload instanceof Readable) {
      payload.on("error", (err) => req.destroy(err));
      payload.pipe(req);
    } else {
      req.end(payload);
    }
  });
}

function errorDetail(body: Buffer): string {
  const text = body.toString("utf8").trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text;
}

/** A request whose status must be 2xx; returns the parsed JSON body (or undefined for an empty body). */
export async function dockerJson<T>(method: string, apiPath: string, opts: RequestOptions = {}): Promise<T> {
  const res = await dockerRequest(method, apiPath, opts);
  if (res.status < 200 || res.status >= 300)
    throw new DockerApiError(method, apiPath, res.status, errorDetail(res.body));
  const text = res.body.toString("utf8");
  return (text.trim() === "" ? undefined : JSON.parse(text)) as T;
}

/** True when GET /_ping answers OK within the timeout. */
export async function ping(endpoint: DockerEndpoint, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await dockerRequest("GET", "/_ping", { endpoint, timeoutMs });
    return res.status === 200;
  } catch {
    return false;
  }
}

interface ProgressLine {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Parses a JSON-lines progress stream (pull/import); an in-band error line is a failure even after a 200. */
export function parseProgress(what: string, res: DockerResponse): ProgressLine[] {
  if (res.status < 200 || res.status >= 300)
    throw new Error(`${what}: HTTP ${res.status}: ${errorDetail(res.body)}`);
  const lines: ProgressLine[] = [];
  for (const raw of res.body.toString("utf8").split(/\r?\n/)) {
    if (raw.trim() === "") continue;
    const line = JSON.parse(raw) as ProgressLine;
    if (line.error !== undefined || line.errorDetail !== undefined) {
      throw new Error(`${what}: ${line.errorDetail?.message ?? line.error ?? raw}`);
    }
    lines.push(line);
  }
  return lines;
}

/** Splits a non-TTY attach/logs stream (8-byte frame headers) into stdout and stderr. */
export function demuxStream(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buf.length) {
    const kind = buf[offset];
    const size = buf.readUInt32BE(offset + 4);
    const frame = buf.subarray(offset + 8, offset + 8 + size);
    (kind === 2 ? err : out).push(frame);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  Created: string;
  Size: number;
  Config: {
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    Labels?: Record<string, string> | null;
  } | null;
}

/** A tag in the familiar form Docker lists: Podman lists Docker Hub names in full (`docker.io/library/x`). */
export function familiarTag(tag: string): string {
  return tag.replace(/^docker\.io\/(?:library\/)?/, "");
}

export async function inspectImage(
  ref: string,
  endpoint?: DockerEndpoint,
): Promise<ImageInspect | undefined> {
  const res = await dockerRequest("GET", `/images/${encodeURIComponent(ref)}/json`, { endpoint });
  if (res.status === 404) return undefined;
  if (res.status !== 200)
    throw new DockerApiError("GET", `/images/${ref}/json`, res.status, errorDetail(res.body));
  const image = JSON.parse(res.body.toString("utf8")) as ImageInspect;
  // The tests compare the familiar form, which is what Docker (and kiln on either engine) prints.
  return { ...image, RepoTags: image.RepoTags && image.RepoTags.map(familiarTag) };
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Removes a container (forced, with its volumes) and makes sure it is gone: an answer other than
 * 2xx or 404 (a removal already in progress, a busy filesystem on a loaded machine) is retried for
 * up to 10 s, then thrown, so a helper never leaves a container behind without saying so.
 */
export async function removeContainer(
  id: string,
  endpoint: DockerEndpoint = endpointFromEnv(),
): Promise<void> {
  let last = "";
  for (let attempt = 0; attempt < 40; attempt++) {
    const res = await dockerRequest("DELETE", `/containers/${id}`, { endpoint, query: { force: 1, v: 1 } });
    if (res.status === 404) return;
    if (res.status >= 200 && res.status < 300) {
      const still = await dockerRequest("GET", `/containers/${id}/json`, { endpoint });
      if (still.status === 404) return;
      last = "still listed after its removal";
    } else {
      last = `HTTP ${res.status}: ${errorDetail(res.body)}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`container ${id.slice(0, 12)} could not be removed: ${last}`);
}

/**
 * Runs a command in a throwaway container (labelled `kiln.test`) and returns its exit code and output:
 * create, start, wait, logs, and remove, the removal registered as soon as the container exists.
 */
export async function runContainer(
  image: string,
  cmd: string[],
  opts: { endpoint?: DockerEndpoint; user?: string; env?: string[]; timeoutMs?: number } = {},
): Promise<RunResult> {
  const endpoint = opts.endpoint ?? endpointFromEnv();
  const created = await dockerJson<{ Id: string }>("POST", "/containers/create", {
    endpoint,
    body: {
      Image: image,
      Cmd: cmd,
      User: opts.user,
      Env: opts.env,
      Labels: { "kiln.test": "1" },
      HostConfig: { NetworkMode: "none" },
    },
  });
  try {
    await dockerJson("POST", `/containers/${created.Id}/start`, { endpoint });
    const waited = await dockerJson<{ StatusCode: number }>("POST", `/containers/${created.Id}/wait`, {
      endpoint,
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
    const logs = await dockerRequest("GET", `/containers/${created.Id}/logs`, {
      endpoint,
      query: { stdout: 1, stderr: 1 },
    });
    return { exitCode: waited.StatusCode, ...demuxStream(logs.body) };
  } finally {
    await removeContainer(created.Id, endpoint);
  }
}
