// The Communicator seam: provisioners see nothing of the container but this. A future daemonless
// or remote engine reuses every provisioner by implementing it.
import type { Readable } from "node:stream";

export interface RemoteCommand {
  /** Run through `/bin/sh -c`. */
  command: string;
  /** Passed in the exec request, never on a command line. */
  env?: Record<string, string>;
  /** Called once per complete line, in order, per stream. */
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
  stdin?: Readable;
  signal?: AbortSignal;
}

export interface UploadOptions {
  /** File mode for the uploaded file (default: the source's mode, or 0644 for data). */
  mode?: number;
  signal?: AbortSignal;
}

export interface Communicator {
  /** Returns the exit code; throws only when the command could not be run at all. */
  run(cmd: RemoteCommand): Promise<number>;
  /** Upload data to a file at `dst` (its parent must exist: fails at once, naming it). */
  uploadData(dst: string, data: Readable | Buffer | string, opts?: UploadOptions): Promise<void>;
  /** Upload a local file or directory, with Packer's file-provisioner trailing-slash rules. */
  uploadPath(src: string, dst: string, signal?: AbortSignal): Promise<void>;
  /** Download a remote file or directory to a local path. */
  downloadPath(src: string, dst: string, signal?: AbortSignal): Promise<void>;
  /**
   * A small remote file's content, or undefined when there is no such file: no command runs, so
   * it also works in a container that has stopped.
   */
  readFile(path: string, signal?: AbortSignal): Promise<Buffer | undefined>;
}
