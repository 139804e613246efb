// The Engine seam: the only surface through which kiln touches Docker. The real implementation
// (`DockerEngine`) speaks the Engine API over HTTP; unit tests may use a fake implementing this
// same interface. Nothing here does I/O at import time.
import type { Readable } from "node:stream";

/** Credentials for one registry, sent per request in X-Registry-Auth; never written to disk. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** An OAuth identity token (Docker's `identitytoken`). */
  identitytoken?: string;
  serveraddress?: string;
}

/** One decoded JSON line of a pull/push/import/load progress stream. */
export interface ProgressEvent {
  id?: string;
  status?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { Digest?: string; Tag?: string; Size?: number; ID?: string };
  error?: string;
  errorDetail?: { message?: string; code?: number };
  stream?: string;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Os?: string;
  Architecture?: string;
  Config: ImageConfig | null;
  /** The container this image was committed from (Docker; empty for pulled or imported images). */
  Container?: string;
  /** The image it was committed on (the classic store; empty for pulled images). */
  Parent?: string;
  /** RFC 3339 creation time (a commit's time). */
  Created?: string;
  /** The commit's comment (docker commit -m). */
  Comment?: string;
  Size?: number;
  /** Layer diff IDs, bottom first. */
  RootFS?: { Type: string; Layers?: string[] };
}

export interface ImageConfig {
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  OnBuild?: string[] | null;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number; Pid: number; OOMKilled?: boolean };
  Config: ImageConfig & { Image: string; Labels?: Record<string, string> | null };
  NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> };
  /** Bytes written in the container since it was created (only when asked with `size`). */
  SizeRw?: number;
}

export interface Mount {
  Type: "bind" | "volume" | "tmpfs";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
}

/** The body of POST /containers/create (the subset kiln uses), already mapped from run_command. */
export interface ContainerSpec {
  name?: string;
  platform?: string;
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[] | null;
  Env?: string[];
  User?: string;
  WorkingDir?: string;
  Hostname?: string;
  Tty?: boolean;
  OpenStdin?: boolean;
  AttachStdin?: boolean;
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, object>;
  HostConfig: {
    Binds?: string[];
    Mounts?: Mount[];
    Privileged?: boolean;
    CapAdd?: string[];
    CapDrop?: string[];
    Tmpfs?: Record<string, string>;
    Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
    NetworkMode?: string;
    Runtime?: string;
    SecurityOpt?: string[];
    ShmSize?: number;
    Memory?: number;
    CpuShares?: number;
    Dns?: string[];
    ExtraHosts?: string[];
    PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[]>;
    AutoRemove?: boolean;
    Init?: boolean;
    Ulimits?: { Name: string; Soft: number; Hard: number }[];
    Sysctls?: Record<string, string>;
    CgroupnsMode?: string;
    IpcMode?: string;
    PidMode?: string;
  };
}

export interface ExecOptions {
  cmd: string[];
  /** Passed in the API request body, never on a command line. */
  env?: string[];
  user?: string;
  workingDir?: string;
  tty?: boolean;
  /** Raw output chunks, in arrival order, per stream. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /**
   * Called after each output chunk; when it returns a promise, no more output is read until it
   * settles. A slow reader of kiln's own output holds the process back instead of filling memory.
   */
  ready?: () => Promise<void> | undefined;
  /** Optional data piped to the process's stdin, then closed. */
  stdin?: Readable;
  signal?: AbortSignal;
}

export interface ArchiveStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export interface CommitOptions {
  changes?: string[];
  author?: string;
  comment?: string;
  pause?: boolean;
  /**
   * The base the daemon applies `changes` to; fields left unset are filled from the container's
   * config (moby `merge`). An empty `Entrypoint: []` is kept as "no entrypoint".
   */
  config?: Partial<ImageConfig>;
  signal?: AbortSignal;
}

export interface ImportOptions {
  repo?: string;
  tag?: string;
  changes?: string[];
  platform?: string;
  message?: string;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export interface StreamOptions {
  auth?: RegistryAuth;
  platform?: string;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

/** `POST /build` (the engine's classic builder) for a Dockerfile in a streamed tar context. */
export interface BuildImageOptions {
  /** The Dockerfile's path inside the context (posix). Default `Dockerfile`. */
  dockerfile?: string;
  /** `repo:tag` references the result is tagged with. */
  tags?: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  /** `--network` (NetworkMode for RUN instructions). */
  network?: string;
  noCache?: boolean;
  /** Always try to pull newer versions of the FROM images. */
  pull?: boolean;
  /** Squash the new layers into one (Docker: experimental daemons only; Podman: always). */
  squash?: boolean;
  platform?: string;
  /** Credentials per registry for the FROM images, sent in X-Registry-Config; key: registry auth key. */
  registryConfig?: Record<string, RegistryAuth>;
  signal?: AbortSignal;
  /** Every decoded line of the build's stream (`stream` text, pulls' `status`, `aux`). */
  onProgress?: (event: ProgressEvent) => void;
}

export interface ListFilter {
  /** label filters, `key` or `key=value` */
  label?: string[];
  /** name filters: regular expressions matched against the name (with its leading slash) */
  name?: string[];
  /** images only: untagged images that no other image refers to */
  dangling?: boolean;
  /** images only: `repo` or `repo:tag` patterns (Docker's `reference` filter) */
  reference?: string[];
  all?: boolean;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  State: string;
  Labels: Record<string, string>;
}

export interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  Labels: Record<string, string> | null;
  Created: number;
}

export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  Os: string;
  Arch: string;
  /** Podman names itself here ("Podman Engine"); Docker says "Engine". */
  Components?: { Name: string; Version: string }[] | null;
}

/** What kind of engine answers: decides the compatibility paths of Podman's API. */
export interface EngineIdentity {
  product: "Docker" | "Podman";
  version: string;
  /** The API version kiln speaks with it (the pinned one, or lower if the engine is older). */
  apiVersion: string;
}

/** The part of GET /info kiln reads: which registries the engine talks to over plain HTTP. */
export interface EngineInfo {
  /** Storage driver details; the containerd image store says `["driver-type", "io.containerd.snapshotter.v1"]`. */
  DriverStatus?: [string, string][] | null;
  RegistryConfig?: {
    InsecureRegistryCIDRs?: string[] | null;
    IndexConfigs?: Record<string, { Name: string; Secure: boolean }> | null;
  } | null;
}

export interface Engine {
  /** Human description of where this engine is (socket path or URL), for error messages. */
  readonly endpoint: string;
  ping(signal?: AbortSignal): Promise<void>;
  version(): Promise<EngineVersion>;
  info(): Promise<EngineInfo>;

  inspectImage(ref: string): Promise<ImageInspect | undefined>;
  /** The registry's manifest digest for `ref`, without pulling; undefined when it has none. */
  distributionDigest(
    ref: string,
    opts?: { auth?: RegistryAuth; signal?: AbortSignal },
  ): Promise<string | undefined>;
  /**
   * Whether the registry has `ref` (a tag), without pulling: the manifest lookup where the engine
   * has one, the repository's tag list on Podman (whose compatible API has no manifest lookup).
   */
  registryHasTag(ref: string, opts?: { auth?: RegistryAuth; signal?: AbortSignal }): Promise<boolean>;
  /** Resolves when the stream ends without an in-band error; throws EngineError otherwise. */
  pullImage(ref: string, opts?: StreamOptions): Promise<void>;
  /** Pushes `name:tag`; resolves with the manifest digest confirmed by the stream. */
  pushImage(name: string, tag: string, opts?: StreamOptions): Promise<{ digest: string; size?: number }>;
  tagImage(source: string, repo: string, tag: string): Promise<void>;
  removeImage(ref: string, opts?: { force?: boolean; noprune?: boolean }): Promise<void>;
  importImage(tar: Readable, opts?: ImportOptions): Promise<string>;
  /**
   * Builds a Dockerfile from a tar context (streamed, never buffered); resolves with the new
   * image's ID once the stream ends without an in-band error. The engine removes its intermediate
   * containers, also when the build fails or the request is aborted.
   */
  buildImage(context: Readable, opts?: BuildImageOptions): Promise<{ imageId: string }>;
  /** `docker save`: a tar stream of the given references. */
  saveImages(refs: string[], signal?: AbortSignal): Promise<Readable>;
  /** `docker load`: what the stream reports loaded (references, or image IDs). */
  loadImages(tar: Readable, signal?: AbortSignal): Promise<string[]>;
  listImages(filter?: ListFilter): Promise<ImageSummary[]>;

  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  inspectContainer(id: string, opts?: { size?: boolean }): Promise<ContainerInspect | undefined>;
  /** How many processes run in the container: its cgroup when the engine is local, else `docker top`. */
  containerProcesses(id: string): Promise<number>;
  killContainer(id: string): Promise<void>;
  /** Force-removes; resolves quietly when the container is already gone. */
  removeContainer(id: string): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  listContainers(filter?: ListFilter): Promise<ContainerSummary[]>;
  commitContainer(id: string, opts?: CommitOptions): Promise<string>;
  exportContainer(id: string, signal?: AbortSignal): Promise<Readable>;

  exec(id: string, opts: ExecOptions): Promise<{ exitCode: number }>;
  putArchive(id: string, dir: string, tar: Readable, signal?: AbortSignal): Promise<void>;
  getArchive(id: string, path: string, signal?: AbortSignal): Promise<{ stat: ArchiveStat; tar: Readable }>;
  statPath(id: string, path: string): Promise<ArchiveStat | undefined>;
}
