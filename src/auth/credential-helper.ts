// Docker's credential-helper protocol: `docker-credential-<name> get` reads the server URL on
// stdin and prints `{"ServerURL","Username","Secret"}` on stdout. The secret only ever crosses a
// pipe: nothing sensitive goes in argv or the helper's environment.
import { spawn } from "node:child_process";
import type { RegistryAuth } from "../engine/types.js";

export const DEFAULT_HELPER_TIMEOUT_MS = 30_000;

/** Helpers say this (with variations) when they hold nothing for the server; not an error. */
const NOT_FOUND = /credentials not found/i;
/** A helper name is a suffix of an executable name, never a path. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Docker's marker: the secret is an identity token, not a password. */
const TOKEN_USERNAME = "<token>";

export class CredentialHelperError extends Error {
  override readonly name = "CredentialHelperError";
  constructor(
    readonly helper: string,
    readonly reason: "missing" | "failed" | "timeout" | "bad-output",
    message: string,
  ) {
    super(message);
  }
}

export interface HelperOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** undefined when the helper has no credentials for the server. */
export async function getFromCredentialHelper(
  helper: string,
  serverUrl: string,
  opts: HelperOptions,
): Promise<RegistryAuth | undefined> {
  if (!HELPER_NAME.test(helper)) {
    throw new CredentialHelperError(
      helper,
      "failed",
      `invalid credential helper name ${JSON.stringify(helper)}`,
    );
  }
  const program = `docker-credential-${helper}`;
  const { code, stdout, stderr } = await runHelper(program, serverUrl, opts);
  if (code !== 0) {
    const said = `${stdout} ${stderr}`.trim();
    if (NOT_FOUND.test(said)) return undefined;
    // A failing helper prints only its own error text; it is shortened to one line for messages.
    const firstLine = said.split("\n")[0]?.slice(0, 200) ?? "";
    throw new CredentialHelperError(
      helper,
      "failed",
      `${program} get failed (exit ${code})${firstLine ? `: ${firstLine}` : ""}`,
    );
  }
  return parseHelperOutput(helper, stdout, serverUrl);
}

export function parseHelperOutput(
  helper: string,
  stdout: string,
  serverUrl: string,
): RegistryAuth | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    // Never quote stdout: it is meant to hold a secret.
    throw new CredentialHelperError(
      helper,
      "bad-output",
      `docker-credential-${helper} get printed something that is not JSON`,
    );
  }
  if (parsed === null || typeof parsed !== "object") {
    throw new CredentialHelperError(
      helper,
      "bad-output",
      `docker-credential-${helper} get printed no credentials object`,
    );
  }
  const { Username, Secret } = parsed as { Username?: unknown; Secret?: unknown };
  if (typeof Secret !== "string" || Secret === "") return undefined;
  const username = typeof Username === "string" ? Username : "";
  if (username === TOKEN_USERNAME) return { identitytoken: Secret, serveraddress: serverUrl };
  return { username, password: Secret, serveraddress: serverUrl };
}

interface HelperRun {
  code: number;
  stdout: string;
  stderr: string;
}

function runHelper(program: string, serverUrl: string, opts: HelperOptions): Promise<HelperRun> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS;
  const helper = program.slice("docker-credential-".length);
  return new Promise((resolve, reject) => {
    // Its own process group, so that a hung helper is killed together with anything it started
    // (a shell script's `sleep` would otherwise keep the pipes, and us, waiting).
    const child = spawn(program, ["get"], { env: opts.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const timer = setTimeout(() => {
      killGroup();
      finish(() =>
        reject(
          new CredentialHelperError(
            helper,
            "timeout",
            `${program} get did not answer within ${Math.round(timeoutMs / 1000)}s (is it waiting for a prompt?)`,
          ),
        ),
      );
    }, timeoutMs);
    const onAbort = (): void => {
      killGroup();
      finish(() => reject(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error("aborted")));
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    // A helper that exits without reading stdin makes the write fail with EPIPE; its exit code
    // and output are what matter.
    child.stdin.on("error", () => {});
    child.on("error", (error: NodeJS.ErrnoException) => {
      finish(() =>
        reject(
          error.code === "ENOENT"
            ? new CredentialHelperError(
                helper,
                "missing",
                `${program} is not on PATH (named by the Docker config); install it or remove it from the config`,
              )
            : error,
        ),
      );
    });
    child.on("close", (code) => {
      finish(() =>
        resolve({
          code: code ?? 1,
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
        }),
      );
    });
    child.stdin.end(serverUrl);
  });
}
