// Typed engine errors: callers branch on `kind`, never on message text (Docker and Podman word
// the same failure differently).
export type EngineErrorKind =
  | "unreachable" // socket missing, refused, permission denied
  | "not-found" // 404: no such image / container / path
  | "conflict" // 409
  | "bad-request" // 400, 500 with a daemon message about the request
  | "stream" // an in-band {"error":...} line in a progress stream
  | "server" // 5xx
  | "unsupported" // the engine cannot do this at all (squash on a Docker without experimental mode)
  | "aborted"; // our own cancellation

export class EngineError extends Error {
  override readonly name = "EngineError";
  constructor(
    readonly kind: EngineErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The engine settings themselves are wrong (an unsupported DOCKER_HOST, a docker context that does
 * not exist): invalid input, reported before anything touches an engine (exit code 2).
 */
export class EngineConfigError extends Error {
  override readonly name = "EngineConfigError";
  constructor(
    /** Where the bad value came from: `DOCKER_HOST`, `DOCKER_CONTEXT`, a context's meta.json. */
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
