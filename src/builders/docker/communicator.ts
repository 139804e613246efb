// The docker builder's Communicator: exec and the archive endpoints of the Engine API. Nothing
// here uses host bind mounts, so a remote DOCKER_HOST works the same as the local socket.
import { closeSync, mkdirSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { basename, dirname, join, posix, resolve as resolvePath, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import type { Engine } from "../../engine/types.js";
import { EngineError } from "../../engine/errors.js";
import type { Communicator, RemoteCommand, UploadOptions } from "../../core/communicator.js";
import { LineSplitter } from "../../core/line-splitter.js";
import { BuildError } from "../../core/errors.js";
import { packData, packPath, type Owner } from "./tar-pack.js";
import { TarReader } from "./tar-reader.js";
import { fileSink } from "./file-sink.js";

export interface DockerCommunicatorOptions {
  execUser: string;
  tty: boolean;
  /** Owner of uploaded files (fix_upload_owner), or undefined to keep root. */
  uploadOwner: () => Promise<Owner>;
  /** Backpressure from where command output goes (the Ui): see ExecOptions.ready. */
  outputReady?: () => Promise<void> | undefined;
}

export class DockerCommunicator implements Communicator {
  constructor(
    private readonly engine: Engine,
    readonly containerId: string,
    private readonly opts: DockerCommunicatorOptions,
  ) {}

  async run(cmd: RemoteCommand): Promise<number> {
    const out = new LineSplitter((l) => cmd.onStdout?.(l));
    const err = new LineSplitter((l) => cmd.onStderr?.(l));
    let exitCode: number;
    try {
      ({ exitCode } = await this.engine.exec(this.containerId, {
        // Packer wraps the command in a subshell; kept so `exit` in a command behaves the same.
        cmd: ["/bin/sh", "-c", `(${cmd.command})`],
        env: cmd.env ? Object.entries(cmd.env).map(([k, v]) => `${k}=${v}`) : undefined,
        user: this.opts.execUser || undefined,
        tty: this.opts.tty,
        onStdout: (c) => out.write(c),
        onStderr: (c) => err.write(c),
        ready: this.opts.outputReady,
        stdin: cmd.stdin,
        signal: cmd.signal,
      }));
    } catch (e) {
      // An exec into a stopped or removed container is refused (409 / 404): say what happened.
      if (
        e instanceof EngineError &&
        (e.kind === "conflict" || e.kind === "not-found") &&
        !cmd.signal?.aborted
      )
        await this.failIfContainerGone(e, false);
      throw e;
    } finally {
      out.flush();
      err.flush();
    }
    // A container killed from outside ends every exec in it with a status (137, 143…) that would
    // otherwise read as the script's own failure.
    if (exitCode !== 0 && !cmd.signal?.aborted) await this.failIfContainerGone(undefined, exitCode >= 128);
    return exitCode;
  }

  private async failIfContainerGone(cause: unknown, killed: boolean): Promise<void> {
    let info = await this.engine.inspectContainer(this.containerId);
    // The engine records the container's exit a moment after its processes died.
    if (killed && info?.State.Running) {
      await new Promise((r) => setTimeout(r, 250));
      info = await this.engine.inspectContainer(this.containerId);
    }
    const short = this.containerId.slice(0, 12);
    if (info === undefined) {
      throw new BuildError(
        `the build container ${short} was removed while kiln was using it (by something other than kiln, e.g. docker rm or a cleanup job)`,
        { cause },
      );
    }
    if (!info.State.Running) {
      const oom = info.State.OOMKilled ? ", killed for lack of memory" : "";
      throw new BuildError(
        `the build container ${short} stopped while a command was running in it (${info.State.Status}, exit code ${info.State.ExitCode}${oom}): it was killed or stopped from outside kiln, or its main process exited`,
        { cause },
      );
    }
  }

  private async requireDir(dir: string, what: string): Promise<void> {
    const st = await this.engine.statPath(this.containerId, dir);
    if (!st) {
      throw new BuildError(
        `${what}: directory ${dir} does not exist in the container; create it first (e.g. a shell provisioner running "mkdir -p ${dir}") or choose an existing directory`,
      );
    }
    if ((st.mode & 0x80000000) === 0 && !isDirMode(st.mode)) {
      throw new BuildError(`${what}: ${dir} exists in the container but is not a directory`);
    }
  }

  async uploadData(dst: string, data: Readable | Buffer | string, opts: UploadOptions = {}): Promise<void> {
    const dir = posix.dirname(dst);
    await this.requireDir(dir, `cannot upload to ${dst}`);
    const body = typeof data === "string" || Buffer.isBuffer(data) ? data : await readAll(data);
    const owner = await this.opts.uploadOwner();
    await this.engine.putArchive(
      this.containerId,
      dir,
      packData([{ name: posix.basename(dst), data: body, mode: opts.mode ?? 0o644 }], owner),
      opts.signal,
    );
  }

  /** Several small files into one directory in a single archive request. */
  async uploadFiles(
    dir: string,
    files: { name: string; data: string | Buffer; mode: number }[],
    signal?: AbortSignal,
  ) {
    await this.requireDir(dir, `cannot upload to ${dir}`);
    const owner = await this.opts.uploadOwner();
    await this.engine.putArchive(this.containerId, dir, packData(files, owner), signal);
  }

  /**
   * Packer's docker-communicator rules (reference §c.0): a file goes to `dst` (or into it when
   * `dst` ends in / or is an existing directory). A directory: when `dst` exists, `src` without a
   * trailing slash lands at dst/basename(src) and `src/` copies its contents; when `dst` does not
   * exist, the contents are copied to a new `dst` either way.
   */
  async uploadPath(src: string, dst: string, signal?: AbortSignal): Promise<void> {
    const st = await stat(src).catch(() => undefined);
    if (!st) throw new BuildError(`cannot upload ${src}: no such file or directory on this machine`);
    const owner = await this.opts.uploadOwner();
    const remote = await this.engine.statPath(this.containerId, stripSlash(dst));
    const remoteIsDir = remote !== undefined && isDirMode(remote.mode);
    if (st.isFile()) {
      const target = dst.endsWith("/") || remoteIsDir ? posix.join(dst, basename(src)) : dst;
      const dir = posix.dirname(target);
      await this.requireDir(dir, `cannot upload ${src} to ${target}`);
      await this.engine.putArchive(
        this.containerId,
        dir,
        packPath(src, posix.basename(target), owner),
        signal,
      );
      return;
    }
    if (remoteIsDir) {
      const contentsOnly = src.endsWith("/");
      const prefix = contentsOnly ? "." : basename(stripSlash(src));
      await this.engine.putArchive(
        this.containerId,
        stripSlash(dst) || "/",
        packPath(src, prefix, owner),
        signal,
      );
      return;
    }
    if (remote)
      throw new BuildError(
        `cannot upload directory ${src}: ${dst} exists in the container and is not a directory`,
      );
    const target = stripSlash(dst);
    const parent = posix.dirname(target);
    await this.requireDir(parent, `cannot upload ${src} to ${dst}`);
    await this.engine.putArchive(
      this.containerId,
      parent,
      packPath(src, posix.basename(target), owner),
      signal,
    );
  }

  /**
   * A file goes to `dst` (or into it when `dst` ends in / or is an existing local directory); a
   * directory's contents go to `dst` (created), mirroring the upload rule for a new destination.
   */
  async readFile(path: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    let archive;
    try {
      archive = await this.engine.getArchive(this.containerId, path, signal);
    } catch (e) {
      if (e instanceof EngineError && e.kind === "not-found") return undefined;
      throw e;
    }
    const chunks: Buffer[] = [];
    const reader = new TarReader((entry) =>
      entry.type === "file"
        ? { data: (c) => void chunks.push(Buffer.from(c)), end: () => undefined }
        : undefined,
    );
    await pipeline(archive.tar, reader, { signal });
    return Buffer.concat(chunks);
  }

  async downloadPath(src: string, dst: string, signal?: AbortSignal): Promise<void> {
    let archive;
    try {
      archive = await this.engine.getArchive(this.containerId, src, signal);
    } catch (e) {
      if (e instanceof EngineError && e.kind === "not-found") {
        throw new BuildError(`cannot download ${src}: no such file or directory in the container`);
      }
      throw e;
    }
    const srcIsDir = isDirMode(archive.stat.mode);
    const wantsDir = dst.endsWith("/");
    const absDst = resolvePath(dst);
    const localDst = await stat(absDst).catch(() => undefined);
    const root = srcIsDir
      ? absDst
      : wantsDir || localDst?.isDirectory()
        ? join(absDst, archive.stat.name)
        : absDst;
    const fence = srcIsDir ? root : dirname(root);
    await mkdir(fence, { recursive: true });
    const top = archive.stat.name;
    // Synchronous writes on purpose: the bytes arrive in order from one socket, and a thread-pool
    // round trip per mkdir/open/write/close made each small file cost milliseconds (as for uploads).
    let madeDir = "";
    const reader = new TarReader((entry) => {
      const rel =
        entry.name === top
          ? ""
          : entry.name.startsWith(top + "/")
            ? entry.name.slice(top.length + 1)
            : entry.name;
      const target = srcIsDir ? resolvePath(root, rel) : root;
      // Entries are written only inside the destination (a hostile archive cannot escape it).
      if (target !== fence && !target.startsWith(fence + sep)) {
        throw new BuildError(`cannot download ${src}: archive entry ${entry.name} points outside ${dst}`);
      }
      if (entry.type === "directory") {
        mkdirSync(target, { recursive: true, mode: entry.mode });
        return undefined;
      }
      // symlinks and special files from the container are not recreated on the host
      if (entry.type !== "file") return undefined;
      const parent = dirname(target);
      if (parent !== madeDir) {
        mkdirSync(parent, { recursive: true });
        madeDir = parent;
      }
      return fileSink(target, entry.mode, entry.size, (fd) => (openFd = fd));
    });
    let openFd: number | undefined;
    try {
      // The request carries the signal: aborting it ends this stream.
      await pipeline(archive.tar, reader);
    } finally {
      if (openFd !== undefined) closeSync(openFd);
    }
  }
}

function stripSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

/** Go's os.FileMode as the daemon reports it: bit 31 is ModeDir. */
function isDirMode(mode: number): boolean {
  return (mode & 0x80000000) !== 0 || (mode & 0o170000) === 0o040000;
}

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}
