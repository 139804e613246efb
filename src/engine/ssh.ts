// DOCKER_HOST=ssh://: HTTP over the stdio of `ssh … docker system dial-stdio`, as the docker CLI
// does it. One ssh process per HTTP connection; the keep-alive agent reuses them (the docker CLI's
// Go transport does the same: one `ssh` per pooled connection). The user's ssh config, agent and
// known_hosts apply unchanged; BatchMode forbids every prompt, so a missing key or an unknown host
// key is an error carrying ssh's own words instead of a hang.
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import * as http from "node:http";
import type { Socket } from "node:net";
import { Duplex } from "node:stream";

export interface SshTarget {
  hostname: string;
  user?: string;
  port?: number;
  /** The remote engine socket; unset: the remote docker CLI's own default (its DOCKER_HOST, context). */
  socketPath?: string;
}

/** The ssh command line: the docker CLI's (`-o ConnectTimeout=30 -T -l user -p port -- host docker system dial-stdio`) plus BatchMode. */
export function sshArgs(target: SshTarget): string[] {
  return [
    "-o",
    "ConnectTimeout=30",
    "-o",
    "BatchMode=yes",
    "-T",
    ...(target.user !== undefined ? ["-l", target.user] : []),
    ...(target.port !== undefined ? ["-p", String(target.port)] : []),
    "--",
    target.hostname,
    "docker",
    ...(target.socketPath !== undefined ? ["--host", `unix://${target.socketPath}`] : []),
    "system",
    "dial-stdio",
  ];
}

const STDERR_KEPT = 4096;

/** ssh failed or went away; `connected` says whether the engine had answered on this connection. */
export class SshConnectionError extends Error {
  override readonly name = "SshConnectionError";
  constructor(
    message: string,
    readonly code: "ESSHCONNECT" | "ESSHLOST",
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A Duplex over one ssh child's stdin/stdout, with the few socket methods node:http's agent calls.
 * Ending the writable side closes ssh's stdin, which dial-stdio turns into a half-close of the
 * engine connection (what an exec with stdin needs for its EOF).
 */
export class SshStream extends Duplex {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = "";
  private received = false;
  private exited = false;
  timeout = 0;

  constructor(
    readonly target: SshTarget,
    command = "ssh",
  ) {
    super({ allowHalfOpen: true });
    // A session of its own: no controlling terminal (so nothing can prompt), and the terminal's
    // Ctrl-C reaches kiln alone, which still needs this connection to clean up.
    this.child = spawn(command, sshArgs(target), { stdio: ["pipe", "pipe", "pipe"], detached: true });
    const { child } = this;
    child.stdout.on("data", (chunk: Buffer) => {
      this.received = true;
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-STDERR_KEPT);
    });
    // Writes after ssh is gone fail with EPIPE; the exit below says why.
    child.stdin.on("error", () => undefined);
    child.on("error", (err: NodeJS.ErrnoException) => {
      const why =
        err.code === "ENOENT"
          ? "ssh is not installed (kiln runs the ssh client for ssh:// engines)"
          : `ssh could not be started: ${err.message}`;
      this.destroy(new SshConnectionError(why, "ESSHCONNECT", "", { cause: err }));
    });
    child.on("close", (code, signal) => {
      this.exited = true;
      if (code === 0) {
        this.push(null); // the engine closed the connection
        return;
      }
      if (this.destroyed) return;
      this.destroy(this.exitError(code, signal));
    });
  }

  private exitError(code: number | null, signal: NodeJS.Signals | null): SshConnectionError {
    const status = signal ? `was killed by ${signal}` : `exited with status ${code ?? "?"}`;
    const said = this.stderr.trim().split("\n").filter(Boolean).slice(-3).join(" / ");
    const words = said ? `: ${said}` : "";
    if (this.received) {
      return new SshConnectionError(`ssh ${status}${words}`, "ESSHLOST", this.stderr);
    }
    const hint =
      code === 127 || /docker: (command )?not found|No such file/i.test(said)
        ? " The remote host needs the docker CLI on the PATH of non-interactive ssh sessions (it runs `docker system dial-stdio`)."
        : /Permission denied|Host key verification failed|passphrase|password|host key/i.test(said)
          ? " kiln runs ssh with BatchMode=yes and never asks for a password: use a key or ssh-agent, and make sure the host key is in known_hosts."
          : "";
    return new SshConnectionError(`ssh ${status}${words}.${hint}`, "ESSHCONNECT", this.stderr);
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.exited) {
      done();
      return;
    }
    if (this.child.stdin.write(chunk, encoding)) done();
    else this.child.stdin.once("drain", () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.child.stdin.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (!this.exited) {
      try {
        this.child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    done(error);
  }

  // The socket methods node:http's agent uses on pooled connections.
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(ms: number, callback?: () => void): this {
    this.timeout = ms;
    if (callback) this.once("timeout", callback);
    return this;
  }
  /** An idle pooled connection must not keep kiln running. */
  unref(): this {
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr])
      (stream as unknown as Socket).unref();
    return this;
  }
  ref(): this {
    this.child.ref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr])
      (stream as unknown as Socket).ref();
    return this;
  }
}

/** A keep-alive agent whose connections are ssh processes. */
export class SshAgent extends http.Agent {
  constructor(private readonly target: SshTarget) {
    super({ keepAlive: true });
  }

  override createConnection(): Duplex {
    return new SshStream(this.target);
  }
}
