// The Engine over the Docker Engine API (Docker 20.10+, and Podman's compatible API). Every quirk
// handled here is recorded in docs/reference/dependencies.md §1.
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { decodePathStat, isDirectoryMode, PATH_STAT_HEADER } from "./archive-stat.js";
import { registryAuthHeaders, registryConfigHeaders } from "./auth-header.js";
import { EngineError } from "./errors.js";
import { createOutputSink, pumpOutput, pumpUpgraded } from "./exec-stream.js";
import { resolveEngineHost } from "./endpoint.js";
import type { EngineHost } from "./host.js";
import { EngineTransport, pathName } from "./http.js";
import type { EngineRequest } from "./http.js";
import { localProcessCount } from "./local-processes.js";
import { podmanChanges, podmanEntrypointResetsCmd } from "./podman-changes.js";
import { podmanComponent } from "./podman-component.js";
import { consumeProgress, consumePushProgress, readProgress } from "./progress.js";
import { ImageReference, isImageId } from "./reference.js";
import type {
  ArchiveStat,
  BuildImageOptions,
  CommitOptions,
  ContainerInspect,
  ContainerSpec,
  ContainerSummary,
  Engine,
  EngineInfo,
  EngineIdentity,
  EngineVersion,
  ExecOptions,
  ImageConfig,
  ImageInspect,
  ImageSummary,
  ImportOptions,
  ListFilter,
  RegistryAuth,
  ProgressEvent,
  StreamOptions,
} from "./types.js";

/** An Engine for the endpoint named by DOCKER_HOST (and the TLS variables) in `env`. No I/O. */
export function createEngine(env: Record<string, string | undefined> = process.env): Engine {
  return new DockerEngine(resolveEngineHost(env));
}

// How long to wait for the exit code once an exec's output has ended (the engine records it a
// moment after closing the stream).
const EXIT_CODE_POLLS = 100;
const EXIT_CODE_POLL_MS = 20;

export class DockerEngine implements Engine {
  private readonly transport: EngineTransport;
  private identityRequest: Promise<EngineIdentity> | undefined;

  constructor(host: EngineHost) {
    this.transport = new EngineTransport(host);
  }

  get endpoint(): string {
    return this.transport.endpoint;
  }

  /** Closes idle keep-alive connections (they never keep the process alive on their own). */
  close(): void {
    this.transport.close();
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.transport.drain({
      method: "GET",
      path: "/_ping",
      unversioned: true,
      signal,
      action: "ping the Docker engine",
    });
  }

  info(): Promise<EngineInfo> {
    return this.transport.json<EngineInfo>({
      method: "GET",
      path: "/info",
      action: "read the engine's info",
    });
  }

  version(): Promise<EngineVersion> {
    return this.transport.json<EngineVersion>({
      method: "GET",
      path: "/version",
      unversioned: true,
      action: "read the Docker engine version",
    });
  }

  /** Docker or Podman, read once from /version: Podman's compatible API needs other requests. */
  identity(): Promise<EngineIdentity> {
    this.identityRequest ??= this.version().then(
      (v) => {
        const podman = podmanComponent(v);
        return {
          product: podman ? "Podman" : "Docker",
          version: podman?.Version ?? v.Version,
          apiVersion: this.transport.negotiatedApiVersion,
        };
      },
      (err: unknown) => {
        this.identityRequest = undefined; // a lost engine may come back
        throw err;
      },
    );
    return this.identityRequest;
  }

  private async isPodman(): Promise<boolean> {
    return (await this.identity()).product === "Podman";
  }

  /**
   * Docker talks plain HTTP to registries on 127.0.0.0/8 (its default insecure range); Podman
   * insists on TLS unless told per request. Only loopback registries get `tlsVerify=false`, as
   * Docker's default; others keep Podman's own settings (registries.conf).
   */
  private async podmanTlsQuery(ref: ImageReference): Promise<{ tlsVerify?: boolean }> {
    const host = ref.registry.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
    const loopback = host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
    return loopback && (await this.isPodman()) ? { tlsVerify: false } : {};
  }

  // Images

  async inspectImage(ref: string): Promise<ImageInspect | undefined> {
    const inspect = () =>
      orUndefined(
        this.transport.json<ImageInspect>({
          method: "GET",
          path: `/images/${pathName(ref)}/json`,
          action: `inspect image ${ref}`,
        }),
      );
    let image: ImageInspect | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        image = await inspect();
        break;
      } catch (err) {
        // Podman 4.3 names an image another process is still committing before its manifest is
        // written, and answers 500 for it meanwhile: that is a race to wait out, not a failure.
        if (
          attempt >= 10 ||
          !(err instanceof EngineError && err.kind === "server" && PODMAN_COMMITTING.test(err.message))
        )
          throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    if (image === undefined || !(await this.isPodman())) return image;
    return {
      ...image,
      Id: withDigestPrefix(image.Id),
      RepoTags: familiarNames(image.RepoTags),
      RepoDigests: familiarNames(image.RepoDigests),
    };
  }

  /**
   * The registry's manifest digest for `ref`, asked through the engine (its TLS, insecure-registry
   * and mirror settings; credentials per request) without pulling anything; undefined when the
   * registry has no such manifest.
   */
  async distributionDigest(
    ref: string,
    opts: { auth?: RegistryAuth; signal?: AbortSignal } = {},
  ): Promise<string | undefined> {
    const parsed = ImageReference.parse(ref);
    if (await this.isPodman()) {
      // Podman 4.3's compatible API has no /distribution endpoint (404 for any reference, as if
      // the registry had no such manifest): say so rather than report every lookup as a miss.
      throw new EngineError(
        "unsupported",
        "Podman's Docker-compatible API cannot look up a registry's manifest without pulling (no /distribution endpoint)",
      );
    }
    const found = await orUndefined(
      this.transport.json<{ Descriptor?: { digest?: string } }>({
        method: "GET",
        path: `/distribution/${parsed.toString()}/json`,
        headers: registryAuthHeaders(opts.auth),
        signal: opts.signal,
        action: `look up ${parsed.toString()} in its registry`,
      }),
    );
    return found?.Descriptor?.digest;
  }

  async registryHasTag(
    ref: string,
    opts: { auth?: RegistryAuth; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const parsed = ImageReference.parse(ref);
    if (!(await this.isPodman())) return (await this.distributionDigest(ref, opts)) !== undefined;
    // Podman's search lists a repository's tags (listTags), with its registry settings; a
    // repository the registry does not know is an error there (404 on its tag list).
    const tag = parsed.tagOrLatest;
    const results = await this.transport
      .json<{ Tag?: string }[]>({
        method: "GET",
        path: "/images/search",
        query: {
          term: parsed.repository.name,
          listTags: true,
          // Its default limit (25) also cuts the tag list.
          limit: 1_000_000,
          ...(await this.podmanTlsQuery(parsed)),
        },
        // Podman's search takes credentials from X-Registry-Config (by registry), not X-Registry-Auth.
        headers: registryConfigHeaders(opts.auth ? { [parsed.authKey]: opts.auth } : undefined),
        signal: opts.signal,
        action: `list the tags of ${parsed.repository.toString()} in its registry`,
      })
      .catch((e: unknown) => {
        if (e instanceof EngineError && e.kind === "server" && PODMAN_NO_REPOSITORY.test(e.message))
          return [];
        throw e;
      });
    return results.some((r) => r.Tag === tag);
  }

  async pullImage(ref: string, opts: StreamOptions = {}): Promise<void> {
    const parsed = ImageReference.parse(ref);
    const action = `pull ${parsed.toString()}`;
    const tls = await this.podmanTlsQuery(parsed);
    if (tls.tlsVerify === false) {
      // Podman's compatible pull ignores tlsVerify; its own pull endpoint honours it.
      const { body } = await this.transport.stream({
        method: "POST",
        path: "/libpod/images/pull",
        query: {
          reference: parsed.toString(),
          tlsVerify: false,
          arch: opts.platform?.split("/")[1] || undefined,
        },
        headers: registryAuthHeaders(opts.auth),
        signal: opts.signal,
        action,
      });
      await consumeProgress(body, action, opts.onProgress);
      return;
    }
    const { body } = await this.transport.stream({
      method: "POST",
      path: "/images/create",
      // An empty tag pulls every tag of the repository, so the docker default is made explicit.
      query: {
        fromImage: parsed.name,
        tag: parsed.digest ?? parsed.tagOrLatest,
        platform: opts.platform || undefined,
      },
      headers: registryAuthHeaders(opts.auth),
      signal: opts.signal,
      action,
    });
    await consumeProgress(body, action, opts.onProgress);
  }

  async pushImage(
    name: string,
    tag: string,
    opts: StreamOptions = {},
  ): Promise<{ digest: string; size?: number }> {
    const parsed = ImageReference.parse(name);
    if (parsed.tag !== undefined || parsed.digest !== undefined) {
      // name:tag plus ?tag= becomes name:tag:tag on Podman.
      throw new EngineError(
        "bad-request",
        `push ${name}: pass the repository without a tag, and the tag separately`,
      );
    }
    const action = `push ${name}:${tag}`;
    const { body } = await this.transport.stream({
      method: "POST",
      path: `/images/${pathName(name)}/push`,
      query: { tag, ...(await this.podmanTlsQuery(parsed)) },
      // Docker 20.10 refuses a push without the header, even for anonymous access.
      headers: registryAuthHeaders(opts.auth),
      signal: opts.signal,
      action,
    });
    return consumePushProgress(body, action, opts.onProgress);
  }

  async tagImage(source: string, repo: string, tag: string): Promise<void> {
    await this.transport.drain({
      method: "POST",
      path: `/images/${pathName(source)}/tag`,
      query: { repo, tag },
      action: `tag ${shortId(source)} as ${repo}:${tag}`,
    });
  }

  async removeImage(ref: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<void> {
    await this.transport.drain({
      method: "DELETE",
      path: `/images/${pathName(ref)}`,
      query: { force: opts.force, noprune: opts.noprune },
      action: `remove image ${shortId(ref)}`,
    });
  }

  async importImage(tar: Readable, opts: ImportOptions = {}): Promise<string> {
    const action = opts.repo ? `import image ${opts.repo}:${opts.tag ?? "latest"}` : "import image";
    const { body } = await this.transport.stream({
      method: "POST",
      path: "/images/create",
      // repo/tag are not passed: Podman ignores the tag and would create a stray :latest. The
      // image is tagged explicitly below instead, which works on both engines.
      query: {
        fromSrc: "-",
        changes: opts.changes && (await this.isPodman()) ? podmanChanges(opts.changes) : opts.changes,
        platform: opts.platform || undefined,
        message: opts.message,
      },
      body: tar,
      signal: opts.signal,
      action,
    });
    let id: string | undefined;
    await consumeProgress(body, action, (event) => {
      id = imageIdFromEvent(event) ?? id;
      opts.onProgress?.(event);
    });
    if (id === undefined) {
      throw new EngineError("stream", `${action}: the engine did not report the new image's ID`);
    }
    if (opts.repo) await this.tagImage(id, opts.repo, opts.tag ?? "latest");
    return id;
  }

  async buildImage(context: Readable, opts: BuildImageOptions = {}): Promise<{ imageId: string }> {
    const action = `build ${opts.dockerfile ?? "Dockerfile"}${opts.tags?.length ? ` as ${opts.tags.join(", ")}` : ""}`;
    const json = (value: Record<string, string> | undefined): string | undefined =>
      value && Object.keys(value).length > 0 ? JSON.stringify(value) : undefined;
    let body: Readable;
    try {
      ({ body } = await this.transport.stream({
        method: "POST",
        path: "/build",
        query: {
          dockerfile: opts.dockerfile,
          t: opts.tags?.length ? opts.tags : undefined,
          buildargs: json(opts.buildArgs),
          labels: json(opts.labels),
          target: opts.target || undefined,
          networkmode: opts.network || undefined,
          nocache: opts.noCache || undefined,
          pull: opts.pull || undefined,
          squash: opts.squash || undefined,
          platform: opts.platform || undefined,
          // Intermediate containers go, also when a step fails: nothing of the build is left.
          rm: true,
          forcerm: true,
          // The classic builder: BuildKit over the API needs a gRPC session (a later transport).
          version: "1",
        },
        headers: registryConfigHeaders(opts.registryConfig),
        body: context,
        contentType: "application/x-tar",
        signal: opts.signal,
        action,
      }));
    } catch (err) {
      // Docker 20.10 refuses squash unless the daemon runs in experimental mode (HTTP 400).
      if (opts.squash && err instanceof EngineError && /squash.*experimental/i.test(err.message)) {
        throw new EngineError("unsupported", err.message, err.status, { cause: err });
      }
      throw err;
    }
    let imageId: string | undefined;
    for await (const event of readProgress(body, action)) {
      if (event.aux?.ID && isImageId(event.aux.ID)) imageId = event.aux.ID;
      opts.onProgress?.(event);
    }
    if (imageId === undefined && opts.tags?.[0]) imageId = (await this.inspectImage(opts.tags[0]))?.Id;
    if (imageId === undefined) {
      throw new EngineError("stream", `${action}: the engine did not report the new image's ID`);
    }
    return { imageId: imageId.startsWith("sha256:") ? imageId : `sha256:${imageId}` };
  }

  async saveImages(refs: string[], signal?: AbortSignal): Promise<Readable> {
    const { body } = await this.transport.stream({
      method: "GET",
      path: "/images/get",
      query: { names: refs },
      signal,
      action: `save ${refs.join(", ")}`,
    });
    return body;
  }

  async loadImages(tar: Readable, signal?: AbortSignal): Promise<string[]> {
    const action = "load images";
    const { body } = await this.transport.stream({
      method: "POST",
      path: "/images/load",
      query: { quiet: true },
      headers: { "Content-Type": "application/x-tar" },
      body: tar,
      signal,
      action,
    });
    const loaded: string[] = [];
    await consumeProgress(body, action, (event) => {
      // "Loaded image: repo:tag" or "Loaded image ID: sha256:…", in `stream` (Docker) or `status`.
      const m = /Loaded image(?: ID)?: (\S+)/.exec(event.stream ?? event.status ?? "");
      if (m) loaded.push(m[1]!);
    });
    return loaded;
  }

  async listImages(filter: ListFilter = {}): Promise<ImageSummary[]> {
    const images = await this.transport.json<ImageSummary[]>({
      method: "GET",
      path: "/images/json",
      query: listQuery(filter),
      action: "list images",
    });
    if (!(await this.isPodman())) return images;
    return images.map((image) => ({
      ...image,
      Id: withDigestPrefix(image.Id),
      RepoTags: familiarNames(image.RepoTags),
    }));
  }

  // Containers

  async createContainer(spec: ContainerSpec): Promise<string> {
    const { name, platform, ...body } = spec;
    try {
      const created = await this.transport.json<{ Id: string }>({
        method: "POST",
        path: "/containers/create",
        query: { name: name || undefined, platform: platform || undefined },
        json: body,
        action: `create a container from ${spec.Image}`,
      });
      return created.Id;
    } catch (err) {
      // Docker answers a taken name with 409; Podman with 500. Ask the engine whether the name is
      // taken rather than reading its words.
      if (
        name &&
        err instanceof EngineError &&
        err.kind === "server" &&
        (await this.inspectContainer(name))
      ) {
        throw new EngineError("conflict", err.message, 409, { cause: err });
      }
      throw err;
    }
  }

  async startContainer(id: string): Promise<void> {
    // 304 (already running) counts as started.
    await this.transport.drain({
      method: "POST",
      path: `/containers/${pathName(id)}/start`,
      action: `start container ${shortId(id)}`,
    });
  }

  inspectContainer(id: string, opts: { size?: boolean } = {}): Promise<ContainerInspect | undefined> {
    return orUndefined(
      this.transport.json<ContainerInspect>({
        method: "GET",
        path: `/containers/${pathName(id)}/json`,
        ...(opts.size ? { query: { size: true } } : {}),
        action: `inspect container ${shortId(id)}`,
      }),
    );
  }

  /**
   * How many processes run in the container: read from its cgroup when the engine runs on this
   * machine (local-processes.ts), else `docker top` (one row each).
   */
  async containerProcesses(id: string): Promise<number> {
    const inspected = await this.inspectContainer(id);
    if (inspected?.State.Running) {
      const local = localProcessCount(inspected.Id, inspected.State.Pid);
      if (local !== undefined) return local;
    }
    const top = await this.transport.json<{ Processes?: string[][] | null }>({
      method: "GET",
      path: `/containers/${pathName(id)}/top`,
      action: `list the processes of container ${shortId(id)}`,
    });
    return top.Processes?.length ?? 0;
  }

  async killContainer(id: string): Promise<void> {
    try {
      await this.transport.drain({
        method: "POST",
        path: `/containers/${pathName(id)}/kill`,
        action: `kill container ${shortId(id)}`,
      });
    } catch (err) {
      // 409 (Podman: 500): the container is not running, which is what kill wanted.
      if (err instanceof EngineError && err.kind === "conflict") return;
      if (err instanceof EngineError && err.kind === "server" && (await this.isPodman())) {
        const state = await this.inspectContainer(id);
        if (state === undefined || !state.State.Running) return;
      }
      throw err;
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.transport.drain({
        method: "DELETE",
        path: `/containers/${pathName(id)}`,
        query: { force: true, v: true },
        action: `remove container ${shortId(id)}`,
      });
    } catch (err) {
      if (err instanceof EngineError && err.kind === "not-found") return;
      // Someone else (a prune, a concurrent cleanup) is already removing it: wait for that to end.
      if (err instanceof EngineError && err.kind === "conflict" && /already in progress/i.test(err.message)) {
        for (let i = 0; i < 100; i++) {
          if (!(await this.inspectContainer(id))) return;
          await sleep(100);
        }
      }
      throw err;
    }
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await this.transport.drain({
      method: "POST",
      path: `/containers/${pathName(id)}/rename`,
      query: { name },
      action: `rename container ${shortId(id)} to ${name}`,
    });
  }

  listContainers(filter: ListFilter = {}): Promise<ContainerSummary[]> {
    return this.transport.json<ContainerSummary[]>({
      method: "GET",
      path: "/containers/json",
      query: listQuery(filter),
      action: "list containers",
    });
  }

  async commitContainer(id: string, opts: CommitOptions = {}): Promise<string> {
    // Podman ignores the config body, so its fields go first in `changes` (which the user's
    // own changes then override, as they override the body on Docker).
    const podman = await this.isPodman();
    const changes = podman
      ? podmanChanges([
          ...configAsChanges(opts.config ?? {}),
          ...(opts.changes ?? []),
          ...podmanEntrypointResetsCmd(opts.changes ?? []),
        ])
      : opts.changes;
    const committed = await this.transport.json<{ Id: string }>({
      method: "POST",
      path: "/commit",
      query: {
        container: id,
        // One `changes` parameter per Dockerfile line.
        changes,
        author: opts.author,
        comment: opts.comment,
        pause: opts.pause,
      },
      // Podman fails with "Decode(): EOF" without a body; Docker merges it with the container's config.
      json: podman ? {} : (opts.config ?? {}),
      signal: opts.signal,
      action: `commit container ${shortId(id)}`,
    });
    return withDigestPrefix(committed.Id);
  }

  async exportContainer(id: string, signal?: AbortSignal): Promise<Readable> {
    const { body } = await this.transport.stream({
      method: "GET",
      path: `/containers/${pathName(id)}/export`,
      signal,
      action: `export container ${shortId(id)}`,
    });
    return body;
  }

  // Exec and files

  /**
   * Runs a process in a running container. Env travels in the request body, never on a command
   * line. Aborting closes the connection and rejects with kind "aborted", but the process in the
   * container may keep running: the Engine API cannot signal an exec, so callers kill the container.
   */
  async exec(id: string, opts: ExecOptions): Promise<{ exitCode: number }> {
    const { signal, stdin } = opts;
    const tty = opts.tty ?? false;
    const action = `exec ${JSON.stringify(opts.cmd[0] ?? "")} in container ${shortId(id)}`;
    const created = await this.transport.json<{ Id: string }>({
      method: "POST",
      path: `/containers/${pathName(id)}/exec`,
      json: {
        Cmd: opts.cmd,
        ...(opts.env ? { Env: opts.env } : {}),
        ...(opts.user ? { User: opts.user } : {}),
        ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
        AttachStdin: stdin !== undefined,
        AttachStdout: true,
        AttachStderr: true,
        Tty: tty,
      },
      signal,
      action,
    });
    const output = createOutputSink(tty, { onStdout: opts.onStdout, onStderr: opts.onStderr });
    const start: EngineRequest = {
      method: "POST",
      path: `/exec/${pathName(created.Id)}/start`,
      json: { Detach: false, Tty: tty },
      signal,
      action,
    };
    if (stdin) {
      // Only stdin needs the hijacked connection; plain output streams in the response body.
      await pumpUpgraded(
        await this.transport.upgrade(start),
        stdin,
        output,
        action,
        signal,
        opts.ready,
        (err) => this.transport.toEngineError(err, start),
      );
    } else {
      await pumpOutput((await this.transport.stream(start)).body, output, opts.ready, signal);
    }
    return { exitCode: await this.execExitCode(created.Id, action, signal) };
  }

  private async execExitCode(execId: string, action: string, signal?: AbortSignal): Promise<number> {
    for (let poll = 0; ; poll++) {
      const info = await this.transport.json<{ Running: boolean; ExitCode: number | null }>({
        method: "GET",
        path: `/exec/${pathName(execId)}/json`,
        signal,
        action,
      });
      if (!info.Running && typeof info.ExitCode === "number") return info.ExitCode;
      if (poll >= EXIT_CODE_POLLS) {
        throw new EngineError(
          "server",
          `${action}: the output ended but the engine still reports the process running`,
        );
      }
      try {
        await sleep(EXIT_CODE_POLL_MS, undefined, { signal });
      } catch (cause) {
        throw new EngineError("aborted", `${action} was cancelled`, undefined, { cause });
      }
    }
  }

  /** Extracts a tar stream into directory `dir` of the container (which must exist: not-found otherwise). */
  async putArchive(id: string, dir: string, tar: Readable, signal?: AbortSignal): Promise<void> {
    if (await this.isPodman()) {
      // Podman answers 200 for a directory that does not exist; Docker 404, which callers rely on.
      const stat = await this.statPath(id, dir);
      if (stat === undefined || !isDirectoryMode(stat.mode)) {
        tar.destroy();
        throw new EngineError(
          "not-found",
          `upload to ${dir} in container ${shortId(id)}: ${stat === undefined ? "no such directory" : "not a directory"}`,
          404,
        );
      }
    }
    await this.transport.drain({
      method: "PUT",
      path: `/containers/${pathName(id)}/archive`,
      query: { path: dir },
      body: tar,
      signal,
      action: `upload to ${dir} in container ${shortId(id)}`,
    });
  }

  /** The tar stream must be read to the end or destroyed: it holds a connection. */
  async getArchive(
    id: string,
    path: string,
    signal?: AbortSignal,
  ): Promise<{ stat: ArchiveStat; tar: Readable }> {
    const action = `download ${path} from container ${shortId(id)}`;
    const { body, headers } = await this.transport.stream({
      method: "GET",
      path: `/containers/${pathName(id)}/archive`,
      query: { path },
      signal,
      action,
    });
    try {
      return { stat: decodePathStat(headers[PATH_STAT_HEADER], action), tar: body };
    } catch (err) {
      body.destroy();
      throw err;
    }
  }

  /** Undefined when the path does not exist; not-found when the container does not. */
  async statPath(id: string, path: string): Promise<ArchiveStat | undefined> {
    const action = `stat ${path} in container ${shortId(id)}`;
    try {
      const res = await this.transport.drain({
        method: "HEAD",
        path: `/containers/${pathName(id)}/archive`,
        query: { path },
        action,
      });
      return decodePathStat(res.headers[PATH_STAT_HEADER], action);
    } catch (err) {
      if (!(err instanceof EngineError && err.kind === "not-found")) throw err;
    }
    // A HEAD 404 has no body to say whether the path or the container is missing.
    if ((await this.inspectContainer(id)) === undefined) {
      throw new EngineError("not-found", `${action}: no such container`, 404);
    }
    return undefined;
  }
}

/** Podman's search answer (500) for a repository the registry does not know: its tag list is a 404. */
const PODMAN_NO_REPOSITORY = /fetching tags list: invalid status code from registry 404/;

/** Podman's answer for an image whose commit (by another process) has not written its manifest yet. */
const PODMAN_COMMITTING = /locating item named "manifest" for image/;

async function orUndefined<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof EngineError && err.kind === "not-found") return undefined;
    throw err;
  }
}

function listQuery(filter: ListFilter): EngineRequest["query"] {
  const filters: Record<string, string[]> = {};
  if (filter.label?.length) filters.label = filter.label;
  if (filter.name?.length) filters.name = filter.name;
  if (filter.dangling !== undefined) filters.dangling = [String(filter.dangling)];
  if (filter.reference?.length) filters.reference = filter.reference;
  return {
    all: filter.all,
    filters: Object.keys(filters).length > 0 ? JSON.stringify(filters) : undefined,
  };
}

/** Podman names Docker Hub images in full (docker.io/library/x); Docker in the familiar form. */
function familiarNames(names: string[] | null): string[] | null {
  return names && names.map((name) => name.replace(/^docker\.io\/(library\/)?/, ""));
}

/** Podman answers bare hex IDs where Docker says `sha256:…`; kiln always uses Docker's form. */
function withDigestPrefix(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? `sha256:${id}` : id;
}

/** A commit config as Dockerfile lines, for engines that ignore the config body (Podman). */
export function configAsChanges(config: Partial<ImageConfig>): string[] {
  const lines: string[] = [];
  if (config.User) lines.push(`USER ${config.User}`);
  if (config.WorkingDir) lines.push(`WORKDIR ${config.WorkingDir}`);
  for (const entry of config.Env ?? []) lines.push(`ENV ${entry}`);
  for (const [key, value] of Object.entries(config.Labels ?? {})) {
    lines.push(`LABEL ${JSON.stringify(key)}=${JSON.stringify(value)}`);
  }
  for (const port of Object.keys(config.ExposedPorts ?? {})) lines.push(`EXPOSE ${port}`);
  const volumes = Object.keys(config.Volumes ?? {});
  if (volumes.length > 0) lines.push(`VOLUME ${JSON.stringify(volumes)}`);
  if (config.Entrypoint) lines.push(`ENTRYPOINT ${JSON.stringify(config.Entrypoint)}`);
  if (config.Cmd) lines.push(`CMD ${JSON.stringify(config.Cmd)}`);
  return lines;
}

/** The import stream's last status is the new image's ID (Docker: `sha256:…`). */
function imageIdFromEvent(event: ProgressEvent): string | undefined {
  for (const candidate of [event.status, event.aux?.ID, event.stream]) {
    const text = candidate?.trim();
    if (text && isImageId(text)) return text.startsWith("sha256:") ? text : `sha256:${text}`;
  }
  return undefined;
}

/** IDs shortened as the docker CLI prints them; names unchanged. */
function shortId(idOrName: string): string {
  return isImageId(idOrName) ? idOrName.replace(/^sha256:/, "").slice(0, 12) : idOrName;
}
