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
