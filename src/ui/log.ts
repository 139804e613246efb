// The debug log (PACKER_LOG / KILN_LOG). Off by default; when on, timestamped lines go to stderr or
// are appended to PACKER_LOG_PATH / KILN_LOG_PATH. The same SecretMasker as the Ui scrubs every
// line, so turning on debug logging in CI never reveals what the console hides.
import { closeSync, openSync, writeSync } from "node:fs";
import type { SecretMasker } from "./mask.js";

export interface Logger {
  readonly enabled: boolean;
  debug(msg: string): void;
  /** Closes the log file, if one was opened. */
  close(): void;
}

export interface LoggerOptions {
  masker?: SecretMasker;
  stderr?: NodeJS.WritableStream;
  now?: () => Date;
}

type Env = Readonly<Record<string, string | undefined>>;

const NOOP: Logger = { enabled: false, debug() {}, close() {} };

/** True when PACKER_LOG or KILN_LOG is set to anything but "" or "0" (Packer's rule). */
export function logEnabled(env: Env): boolean {
  return [env.KILN_LOG, env.PACKER_LOG].some((v) => v !== undefined && v !== "" && v !== "0");
}

/**
 * Opens the log file immediately (not at import time: this is a call) so that a bad path fails the
 * command up front, naming the path, rather than losing the log silently. The file is created 0600
 * because debug logs carry command lines and paths even after masking.
 */
export function createLogger(env: Env, opts: LoggerOptions = {}): Logger {
  if (!logEnabled(env)) return NOOP;
  const now = opts.now ?? (() => new Date());
  const path = nonEmpty(env.KILN_LOG_PATH) ?? nonEmpty(env.PACKER_LOG_PATH);
  let fd: number | undefined;
  if (path !== undefined) {
    try {
      fd = openSync(path, "a", 0o600);
    } catch (err) {
      throw new Error(`cannot open the debug log ${path} (from KILN_LOG_PATH/PACKER_LOG_PATH)`, {
        cause: err,
      });
    }
  }
  const stderr = opts.stderr ?? process.stderr;
  let closed = false;
  return {
    enabled: true,
    debug(msg) {
      if (closed) return;
      const text = opts.masker ? opts.masker.mask(msg) : msg;
      const stamp = now().toISOString();
      const lines = text
        .split("\n")
        .map((line) => `${stamp} ${line}\n`)
        .join("");
      // Synchronous on purpose: the log is most useful right before a crash.
      if (fd !== undefined) writeSync(fd, lines);
      else stderr.write(lines);
    },
    close() {
      closed = true;
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}
