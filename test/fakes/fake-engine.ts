// A fake Engine for unit tests of the runner, the builder steps and the plan: images and
// containers in memory, each container with a small filesystem that archive uploads and
// downloads, commits and exports act on. Exec runs a handler the test provides. Every call is
// recorded. Integration tests never use this: they run against a real dockerd.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { extract as tarExtract, pack as tarPack } from "tar-stream";
import { EngineError } from "../../src/engine/errors.js";
import type {
  ArchiveStat,
  BuildImageOptions,
  CommitOptions,
  ContainerInspect,
  ContainerSpec,
  ContainerSummary,
  Engine,
  EngineInfo,
  EngineVersion,
  ExecOptions,
  ImageConfig,
  ImageInspect,
  ImageSummary,
  ImportOptions,
  ListFilter,
  StreamOptions,
} from "../../src/engine/types.js";

export interface FakeFile {
  type: "file" | "dir" | "symlink";
  mode: number;
  uid: number;
  gid: number;
  content: Buffer;
  linkname?: string;
}

/** A container filesystem: absolute path → entry. */
export type FakeFs = Map<string, FakeFile>;

export interface FakeImage {
  id: string;
  tags: string[];
  config: ImageConfig;
  fs: FakeFs;
  /** Layer diff IDs, bottom first (the base's plus one per commit). */
  layers: string[];
  parent?: string;
  container?: string;
  comment?: string;
  created: number;
}

export interface FakeContainer {
  id: string;
  name: string;
  spec: ContainerSpec;
  image: string;
  fs: FakeFs;
  state: "created" | "running" | "exited";
  config: ImageConfig;
}

export interface ExecCall {
  container: FakeContainer;
  cmd: string[];
  env: Record<string, string>;
  user?: string;
  stdin?: Buffer;
}

export interface ExecResult {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

export type ExecHandler = (call: ExecCall) => ExecResult | Promise<ExecResult>;

/** A Dockerfile build as the fake engine received it. */
export interface BuildCall {
  opts: BuildImageOptions;
  /** The context's files (path → content), as sent. */
  files: Map<string, Buffer>;
  dockerfile: string;
  /** The last stage's base (its FROM), as written. */
  from: string;
}

export interface EngineCall {
  method: string;
  args: unknown[];
}

const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");
const newId = () => `sha256:${randomBytes(32).toString("hex")}`;

function copyFs(fs: FakeFs): FakeFs {
  return new Map([...fs].map(([k, v]) => [k, { ...v }]));
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return `/${parts.join("/")}`;
}

/** A fresh root filesystem: /, /tmp, /etc/passwd with root. */
export function rootFs(extra: Record<string, string> = {}): FakeFs {
  const fs: FakeFs = new Map();
  const dir = (mode = 0o755): FakeFile => ({ type: "dir", mode, uid: 0, gid: 0, content: Buffer.alloc(0) });
  fs.set("/", dir());
  fs.set("/tmp", dir(0o1777));
  fs.set("/etc", dir());
  fs.set("/etc/passwd", {
    type: "file",
    mode: 0o644,
    uid: 0,
    gid: 0,
    content: Buffer.from("root:x:0:0:root:/root:/bin/sh\n"),
  });
  for (const [path, content] of Object.entries(extra)) {
    fs.set(path, { type: "file", mode: 0o644, uid: 0, gid: 0, content: Buffer.from(content) });
  }
  return fs;
}

export class FakeEngine implements Engine {
  readonly endpoint = "fake://engine";
  readonly calls: EngineCall[] = [];
  readonly images = new Map<string, FakeImage>();
  readonly containers = new Map<string, FakeContainer>();
  /** Exec handler; by default every command succeeds silently. */
  execHandler: ExecHandler = () => ({ exitCode: 0 });
  /** Make a method fail: the next call of `method` throws this error. */
  private readonly failures = new Map<string, Error[]>();
  /** Unix seconds: image creation times (tests move it to age entries). */
  clock = Math.floor(Date.now() / 1000);
  /**
   * What a Dockerfile build does once its context is read (the default: nothing): a test can
   * delay it (honouring `opts.signal`), print lines through `opts.onProgress`, or throw.
   */
  buildHandler: (call: BuildCall) => void | Promise<void> = () => undefined;
  /** Squash refused as Docker 20.10 does without experimental mode. */
  squashUnsupported = false;

  constructor(opts: { images?: { ref: string; config?: ImageConfig; fs?: FakeFs }[] } = {}) {
    for (const i of opts.images ?? []) this.addImage(i.ref, i.config, i.fs);
  }

  addImage(ref: string, config: ImageConfig = {}, fs: FakeFs = rootFs()): FakeImage {
    // Like a pull or a build: the name moves to the new image.
    for (const other of this.images.values()) other.tags = other.tags.filter((t) => t !== withTag(ref));
    const image: FakeImage = {
      id: newId(),
      tags: [withTag(ref)],
      config,
      fs,
      layers: [newId()],
      created: this.clock++,
    };
    this.images.set(image.id, image);
    return image;
  }

  /** Ages an image (the cache's max age reads its creation time). */
  backdate(id: string, seconds: number): void {
    this.images.get(id)!.created -= seconds;
  }

  failNext(method: keyof Engine, error: Error): void {
    const list = this.failures.get(method) ?? [];
    list.push(error);
    this.failures.set(method, list);
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method)?.shift();
    if (failure) throw failure;
  }

  callsOf(method: string): EngineCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  findImage(ref: string): FakeImage | undefined {
    const byId =
      this.images.get(ref) ?? [...this.images.values()].find((i) => i.id.startsWith(`sha256:${ref}`));
    if (byId) return byId;
    const tag = withTag(ref);
    return [...this.images.values()].find((i) => i.tags.includes(tag));
  }

  private container(id: string): FakeContainer {
    const c =
      this.containers.get(id) ??
      [...this.containers.values()].find((x) => x.name === id || x.id.startsWith(id));
    if (!c) throw new EngineError("not-found", `No such container: ${id}`, 404);
    return c;
  }

  async ping(): Promise<void> {
    this.record("ping");
  }

  async info(): Promise<EngineInfo> {
    this.record("info");
    return { RegistryConfig: { InsecureRegistryCIDRs: ["127.0.0.0/8"], IndexConfigs: {} } };
  }

  async version(): Promise<EngineVersion> {
    this.record("version");
    return { Version: "fake", ApiVersion: "1.41", Os: "linux", Arch: "amd64" };
  }

  async inspectImage(ref: string): Promise<ImageInspect | undefined> {
    this.record("inspectImage", ref);
    const i = this.findImage(ref);
    if (!i) return undefined;
    return {
      Id: i.id,
      RepoTags: i.tags,
      RepoDigests: [],
      Os: "linux",
      Architecture: "amd64",
      Config: { ...i.config },
      Container: i.container,
      ...(i.parent ? { Parent: i.parent } : {}),
      Created: new Date(i.created * 1000).toISOString(),
      ...(i.comment ? { Comment: i.comment } : {}),
      Size: [...i.fs.values()].reduce((n, f) => n + f.content.length, 0),
      RootFS: { Type: "layers", Layers: [...i.layers] },
    };
  }

  /** Manifests in fake registries: reference → image ID. */
  readonly registry = new Map<string, string>();

  async distributionDigest(ref: string): Promise<string | undefined> {
    this.record("distributionDigest", ref);
    const id = this.registry.get(ref);
    return id ? `sha256:${sha(id)}` : undefined;
  }

  async registryHasTag(ref: string): Promise<boolean> {
    this.record("registryHasTag", ref);
    return this.registry.has(ref);
  }

  async pullImage(ref: string, opts: StreamOptions = {}): Promise<void> {
    this.record("pullImage", ref, opts.auth);
    if (!this.findImage(ref)) throw new EngineError("stream", `pull access denied for ${ref}`);
    opts.onProgress?.({ status: `Status: Image is up to date for ${ref}` });
  }

  async pushImage(name: string, tag: string, opts: StreamOptions = {}): Promise<{ digest: string }> {
    this.record("pushImage", name, tag, opts.auth);
    const i = this.findImage(`${name}:${tag}`);
    if (!i) throw new EngineError("stream", `An image does not exist locally with the tag: ${name}`);
    return { digest: `sha256:${sha(i.id)}` };
  }

  async tagImage(source: string, repo: string, tag: string): Promise<void> {
    this.record("tagImage", source, repo, tag);
    const i = this.findImage(source);
    if (!i) throw new EngineError("not-found", `No such image: ${source}`, 404);
    const ref = `${repo}:${tag || "latest"}`;
    for (const other of this.images.values()) other.tags = other.tags.filter((t) => t !== ref);
    i.tags.push(ref);
  }

  async removeImage(ref: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<void> {
    this.record("removeImage", ref, opts);
    const i = this.findImage(ref);
    if (!i) throw new EngineError("not-found", `No such image: ${ref}`, 404);
    const tag = withTag(ref);
    if (i.tags.includes(tag) && i.tags.length > 1) {
      i.tags = i.tags.filter((t) => t !== tag);
      return;
    }
    if (!opts.force && [...this.containers.values()].some((c) => c.image === i.id)) {
      throw new EngineError("conflict", `image ${ref} is being used by a container`, 409);
    }
    this.images.delete(i.id);
  }

  async importImage(tar: Readable, opts: ImportOptions = {}): Promise<string> {
    this.record("importImage", opts);
    const fs = rootFs();
    await extractInto(fs, "/", tar);
    const image: FakeImage = {
      id: newId(),
      tags: [],
      config: {},
      fs,
      layers: [newId()],
      created: this.clock++,
    };
    if (opts.repo) image.tags.push(`${opts.repo}:${opts.tag || "latest"}`);
    this.images.set(image.id, image);
    return image.id;
  }

  async buildImage(context: Readable, opts: BuildImageOptions = {}): Promise<{ imageId: string }> {
    this.record("buildImage", opts);
    if (opts.squash && this.squashUnsupported) {
      context.destroy();
      throw new EngineError("unsupported", "squash is only supported with experimental mode", 400);
    }
    const files = await readTar(context);
    const name = opts.dockerfile ?? "Dockerfile";
    const text = files.get(name)?.toString("utf8");
    if (text === undefined) {
      throw new EngineError("stream", `Cannot locate specified Dockerfile: ${name}`);
    }
    const froms = [...text.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim)].map((m) => m[1]!);
    const from = froms[froms.length - 1] ?? "";
    const base = from === "scratch" ? undefined : this.findImage(from);
    if (from !== "scratch" && !base) throw new EngineError("stream", `pull access denied for ${from}`);
    opts.signal?.throwIfAborted();
    await this.buildHandler({ opts, files, dockerfile: text, from });
    opts.signal?.throwIfAborted();
    const image: FakeImage = {
      id: newId(),
      tags: [],
      config: { ...(base?.config ?? {}), Labels: { ...(base?.config.Labels ?? {}), ...(opts.labels ?? {}) } },
      fs: base ? copyFs(base.fs) : rootFs(),
      layers: [...(base?.layers ?? []), ...(opts.squash ? [newId()] : [newId(), newId()])],
      ...(base ? { parent: base.id } : {}),
      created: this.clock++,
    };
    this.images.set(image.id, image);
    for (const tag of opts.tags ?? []) {
      const ref = withTag(tag);
      for (const other of this.images.values()) other.tags = other.tags.filter((t) => t !== ref);
      image.tags.push(ref);
    }
    opts.onProgress?.({ aux: { ID: image.id } });
    return { imageId: image.id };
  }

  async saveImages(refs: string[]): Promise<Readable> {
    this.record("saveImages", refs);
    return Readable.from([Buffer.from(JSON.stringify(refs))]);
  }

  async loadImages(): Promise<string[]> {
    this.record("loadImages");
    throw new EngineError("bad-request", "the fake engine does not load images");
  }

  async listImages(filter: ListFilter = {}): Promise<ImageSummary[]> {
    this.record("listImages", filter);
    return [...this.images.values()]
      .filter((i) => !filter.dangling || i.tags.length === 0)
      .filter(
        (i) =>
          !filter.reference?.length ||
          filter.reference.some((r) => {
            const re = new RegExp(`^${r.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
            return i.tags.some((t) => re.test(t) || re.test(t.split(":")[0]!));
          }),
      )
      .filter((i) =>
        (filter.label ?? []).every((l) => {
          const [k, v] = l.split("=", 2) as [string, string | undefined];
          const labels = i.config.Labels ?? {};
          return k in labels && (v === undefined || labels[k] === v);
        }),
      )
      .map((i) => ({ Id: i.id, RepoTags: i.tags, Labels: i.config.Labels ?? null, Created: i.created }));
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    this.record("createContainer", spec);
    const image = this.findImage(spec.Image);
    if (!image) throw new EngineError("not-found", `No such image: ${spec.Image}`, 404);
    const id = randomBytes(32).toString("hex");
    const name = spec.name ?? `fake_${id.slice(0, 6)}`;
    if ([...this.containers.values()].some((c) => c.name === name)) {
      throw new EngineError("conflict", `Conflict. The container name "/${name}" is already in use`, 409);
    }
    this.containers.set(id, {
      id,
      name,
      spec,
      image: image.id,
      fs: copyFs(image.fs),
      state: "created",
      config: {
        ...image.config,
        Env: [...(image.config.Env ?? []), ...(spec.Env ?? [])],
        ...(spec.Entrypoint !== undefined ? { Entrypoint: spec.Entrypoint } : {}),
        ...(spec.Cmd !== undefined ? { Cmd: spec.Cmd } : {}),
        ...(spec.User !== undefined ? { User: spec.User } : {}),
      },
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.record("startContainer", id);
    this.container(id).state = "running";
  }

  async inspectContainer(id: string): Promise<ContainerInspect | undefined> {
    this.record("inspectContainer", id);
    const c = this.containers.get(id) ?? [...this.containers.values()].find((x) => x.name === id);
    if (!c) return undefined;
    return {
      Id: c.id,
      Name: `/${c.name}`,
      State: { Status: c.state, Running: c.state === "running", ExitCode: 0, Pid: 1 },
      Config: { ...c.config, Image: c.image, Labels: c.spec.Labels },
      NetworkSettings: { IPAddress: "172.17.0.2" },
    };
  }

  /** Processes a test says run in a container (1: the idle init process). */
  processes = new Map<string, number>();

  async containerProcesses(id: string): Promise<number> {
    this.record("containerProcesses", id);
    return this.processes.get(this.container(id).id) ?? 1;
  }

  async killContainer(id: string): Promise<void> {
    this.record("killContainer", id);
    this.container(id).state = "exited";
  }

  async removeContainer(id: string): Promise<void> {
    this.record("removeContainer", id);
    const c = this.containers.get(id) ?? [...this.containers.values()].find((x) => x.name === id);
    if (c) this.containers.delete(c.id);
  }

  async renameContainer(id: string, name: string): Promise<void> {
    this.record("renameContainer", id, name);
    const c = this.containers.get(id) ?? [...this.containers.values()].find((x) => x.name === id);
    if (!c) throw new EngineError("not-found", `No such container: ${id}`);
    c.name = name.replace(/^\//, "");
  }

  async listContainers(filter: ListFilter = {}): Promise<ContainerSummary[]> {
    this.record("listContainers", filter);
    return [...this.containers.values()]
      .filter((c) => (filter.name ?? []).every((re) => new RegExp(re).test(`/${c.name}`)))
      .map((c) => ({
        Id: c.id,
        Names: [`/${c.name}`],
        Image: c.image,
        State: c.state,
        Labels: c.spec.Labels,
      }));
  }

  async commitContainer(id: string, opts: CommitOptions = {}): Promise<string> {
    this.record("commitContainer", id, opts);
    const c = this.container(id);
    const parent = this.images.get(c.image)!;
    const config: ImageConfig = { ...c.config, ...(opts.config ?? {}) };
    for (const change of opts.changes ?? []) applyChange(config, change);
    const image: FakeImage = {
      id: newId(),
      tags: [],
      config,
      fs: copyFs(c.fs),
      layers: [...parent.layers, newId()],
      parent: parent.id,
      container: c.id,
      comment: opts.comment,
      created: this.clock++,
    };
    this.images.set(image.id, image);
    return image.id;
  }

  async exportContainer(id: string): Promise<Readable> {
    this.record("exportContainer", id);
    return packFs(this.container(id).fs, "/");
  }

  async exec(id: string, opts: ExecOptions): Promise<{ exitCode: number }> {
    this.record("exec", id, opts.cmd);
    const c = this.container(id);
    if (c.state !== "running") throw new EngineError("conflict", `Container ${id} is not running`, 409);
    let stdin: Buffer | undefined;
    if (opts.stdin) {
      const chunks: Buffer[] = [];
      for await (const chunk of opts.stdin) chunks.push(Buffer.from(chunk as Buffer));
      stdin = Buffer.concat(chunks);
    }
    const env = Object.fromEntries(
      (opts.env ?? []).map((e) => {
        const i = e.indexOf("=");
        return [e.slice(0, i), e.slice(i + 1)];
      }),
    );
    opts.signal?.throwIfAborted();
    // As the real engine: aborting closes the connection at once (the handler may go on).
    const result = await abortable(
      Promise.resolve(this.execHandler({ container: c, cmd: opts.cmd, env, user: opts.user, stdin })),
      opts.signal,
    );
    if (result.stdout) opts.onStdout?.(Buffer.from(result.stdout));
    if (result.stderr) opts.onStderr?.(Buffer.from(result.stderr));
    await opts.ready?.();
    return { exitCode: result.exitCode ?? 0 };
  }

  async putArchive(id: string, dir: string, tar: Readable): Promise<void> {
    this.record("putArchive", id, dir);
    const c = this.container(id);
    const target = normalize(dir);
    if (c.fs.get(target)?.type !== "dir") {
      throw new EngineError("not-found", `Could not find the file ${dir} in container ${id}`, 404);
    }
    await extractInto(c.fs, target, tar);
  }

  async getArchive(id: string, path: string): Promise<{ stat: ArchiveStat; tar: Readable }> {
    this.record("getArchive", id, path);
    const c = this.container(id);
    const p = normalize(path);
    const entry = c.fs.get(p);
    if (!entry) throw new EngineError("not-found", `Could not find the file ${path} in container ${id}`, 404);
    return { stat: statOf(p, entry), tar: packFs(c.fs, p) };
  }

  async statPath(id: string, path: string): Promise<ArchiveStat | undefined> {
    this.record("statPath", id, path);
    const p = normalize(path);
    const entry = this.container(id).fs.get(p);
    return entry ? statOf(p, entry) : undefined;
  }
}

function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new EngineError("aborted", "exec was cancelled"));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function withTag(ref: string): string {
  if (ref.startsWith("sha256:")) return ref;
  const lastSlash = ref.lastIndexOf("/");
  return ref.slice(lastSlash + 1).includes(":") ? ref : `${ref}:latest`;
}

function statOf(path: string, e: FakeFile): ArchiveStat {
  const typeBits = e.type === "dir" ? 0x80000000 : e.type === "symlink" ? 0x8000000 : 0;
  return {
    name: path.split("/").pop() || "/",
    size: e.content.length,
    mode: (typeBits | e.mode) >>> 0,
    mtime: "2024-01-01T00:00:00Z",
    linkTarget: e.linkname ?? "",
  };
}

function applyChange(config: ImageConfig, change: string): void {
  const m = /^\s*(\w+)\s+(.*)$/s.exec(change);
  if (!m) return;
  const [, instr, rest] = m as unknown as [string, string, string];
  const list = (s: string): string[] =>
    s.trim().startsWith("[") ? (JSON.parse(s) as string[]) : ["/bin/sh", "-c", s];
  switch (instr.toUpperCase()) {
    case "CMD":
      config.Cmd = list(rest);
      return;
    case "ENTRYPOINT":
      config.Entrypoint = list(rest);
      return;
    case "ENV": {
      const [k, ...v] = rest.includes("=") ? rest.split("=") : rest.split(/\s+/);
      config.Env = [...(config.Env ?? []).filter((e) => !e.startsWith(`${k}=`)), `${k}=${v.join("=")}`];
      return;
    }
    case "USER":
      config.User = rest.trim();
      return;
    case "WORKDIR":
      config.WorkingDir = rest.trim();
      return;
    case "LABEL": {
      const [k, ...v] = rest.split("=");
      config.Labels = { ...(config.Labels ?? {}), [k!.trim()]: v.join("=").trim().replace(/^"|"$/g, "") };
      return;
    }
    default:
      return;
  }
}

async function readTar(tar: Readable): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const ex = tarExtract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => void chunks.push(c as Buffer));
      stream.on("end", () => {
        if (header.type === "file") files.set(header.name, Buffer.concat(chunks));
        next();
      });
      stream.on("error", reject);
    });
    ex.on("finish", () => resolve());
    ex.on("error", reject);
  });
  for await (const chunk of tar) ex.write(chunk as Buffer);
  ex.end(undefined);
  await done;
  return files;
}

async function extractInto(fs: FakeFs, dir: string, tar: Readable): Promise<void> {
  const ex = tarExtract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => void chunks.push(c as Buffer));
      stream.on("end", () => {
        const path = normalize(`${dir}/${header.name}`);
        const type = header.type === "directory" ? "dir" : header.type === "symlink" ? "symlink" : "file";
        if (!fs.has(dirOf(path)) && path !== "/") {
          reject(new EngineError("not-found", `no parent directory for ${path}`, 404));
          return;
        }
        fs.set(path, {
          type,
          mode: (header.mode ?? 0o644) & 0o7777,
          uid: header.uid ?? 0,
          gid: header.gid ?? 0,
          content: Buffer.concat(chunks),
          ...(header.linkname ? { linkname: header.linkname } : {}),
        });
        next();
      });
      stream.on("error", reject);
    });
    ex.on("finish", () => resolve());
    ex.on("error", reject);
  });
  for await (const chunk of tar) ex.write(chunk as Buffer);
  ex.end(undefined);
  await done;
}

function packFs(fs: FakeFs, root: string): Readable {
  const p = tarPack();
  const base = root === "/" ? "" : root.split("/").pop()!;
  const prefix = root === "/" ? "/" : `${root}/`;
  const entries = [...fs.entries()]
    .filter(([path]) => path === root || path.startsWith(prefix))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [path, e] of entries) {
    const rel = path === root ? base : `${base ? `${base}/` : ""}${path.slice(prefix.length)}`;
    if (rel === "") continue;
    p.entry(
      {
        name: rel,
        type: e.type === "dir" ? "directory" : e.type,
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        ...(e.linkname ? { linkname: e.linkname } : {}),
      },
      e.type === "file" ? e.content : Buffer.alloc(0),
    );
  }
  p.finalize();
  return Readable.from(p);
}
