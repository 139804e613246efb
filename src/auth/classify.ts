// Registry failures sorted into "try again" and "stop now". Push and pull failures arrive as free
// text (the daemon relays the registry's words in an in-band stream error) or as typed
// EngineErrors; the table below is the one place that reads that text.
import { EngineError } from "../engine/errors.js";

export type FailureCategory =
  | "unreachable" // no connection to the registry (refused, dial timeout, no route, DNS hiccup): retry
  | "transient" // the registry hiccupped (5xx, 429, a dropped connection): retry
  | "unauthorized" // 401: no or wrong credentials
  | "denied" // 403: credentials accepted, no permission for this repository
  | "name-unknown" // the repository does not exist (ECR needs it created first)
  | "manifest-unknown"
  | "local-missing" // the local engine has no image under that reference
  | "tls" // certificate problems or http/https mix-ups: configuration, not luck
  | "host-unknown" // DNS says no such host
  | "cancelled"
  | "unknown";

export interface Classified {
  category: FailureCategory;
  retry: boolean;
  /** A short canonical cause for progress lines ("connection refused", "HTTP 503"). */
  reason: string;
  /** The failure's own message, for the final error. */
  message: string;
}

interface Rule {
  test: RegExp;
  category: FailureCategory;
  reason: string | ((m: RegExpExecArray) => string);
}

// Permanent rules are checked first: a 401 body that mentions a timeout is still a 401.
const PERMANENT: Rule[] = [
  { test: /An image does not exist locally with the tag|No such image|tag does not exist/i, category: "local-missing", reason: "image not found in the local engine" },
  { test: /no basic auth credentials/i, category: "unauthorized", reason: "no basic auth credentials" },
  { test: /incorrect username or password/i, category: "unauthorized", reason: "incorrect username or password" },
  { test: /\bunauthorized\b|authentication required|\b401\b/i, category: "unauthorized", reason: "unauthorized (401)" },
  { test: /requested access to the resource is denied|\bdenied\b|\bforbidden\b|\b403\b/i, category: "denied", reason: "denied (403)" },
  { test: /name unknown|repository name not known|repository .* does not exist/i, category: "name-unknown", reason: "repository not found on the registry" },
  { test: /manifest unknown/i, category: "manifest-unknown", reason: "manifest unknown" },
  { test: /x509:|certificate (?:signed by unknown|is not valid|has expired)|server gave HTTP response to HTTPS client/i, category: "tls", reason: "TLS configuration" },
  { test: /no such host/i, category: "host-unknown", reason: "registry host not found (DNS)" },
]; // prettier-ignore

// Failures before any request reached the registry (so before any credentials were sent): the
// connection could not be made. Checked before TRANSIENT's broader timeout rule.
const UNREACHABLE: Rule[] = [
  { test: /connection refused/i, category: "unreachable", reason: "connection refused" },
  { test: /dial tcp[^\n]*(?:i\/o timeout|timed? ?out)/i, category: "unreachable", reason: "connection timed out" },
  { test: /TLS handshake timeout/i, category: "unreachable", reason: "TLS handshake timeout" },
  { test: /network is unreachable|no route to host/i, category: "unreachable", reason: "network unreachable" },
  { test: /server misbehaving|temporary failure in name resolution/i, category: "unreachable", reason: "DNS temporarily failing" },
]; // prettier-ignore

const TRANSIENT: Rule[] = [
  ...UNREACHABLE,
  { test: /connection reset/i, category: "transient", reason: "connection reset" },
  { test: /broken pipe/i, category: "transient", reason: "broken pipe" },
  // The containerd image store's pusher reports a connection torn down under it this way.
  { test: /use of closed network connection/i, category: "transient", reason: "connection closed" },
  { test: /i\/o timeout|Client\.Timeout|deadline exceeded|timed? ?out/i, category: "transient", reason: "timeout" },
  { test: /received unexpected HTTP status: (5\d\d[^"\n]*)/i, category: "transient", reason: (m) => `HTTP ${m[1]?.trim()}` },
  { test: /\b(50[0-4]) (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out)/i, category: "transient", reason: (m) => `HTTP ${m[1]}` },
  { test: /toomanyrequests|too many requests|\b429\b/i, category: "transient", reason: "rate limited (429)" },
  { test: /\bEOF\b/, category: "transient", reason: "connection closed early (EOF)" },
]; // prettier-ignore

export function classifyRegistryFailure(error: unknown): Classified {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof EngineError && error.kind === "aborted") {
    return { category: "cancelled", retry: false, reason: "cancelled", message };
  }
  if (error instanceof Error && error.name === "AbortError") {
    return { category: "cancelled", retry: false, reason: "cancelled", message };
  }
  for (const rule of PERMANENT) {
    const m = rule.test.exec(message);
    if (m) return { category: rule.category, retry: false, reason: reasonOf(rule, m), message };
  }
  for (const rule of TRANSIENT) {
    const m = rule.test.exec(message);
    if (m) return { category: rule.category, retry: true, reason: reasonOf(rule, m), message };
  }
  if (error instanceof EngineError) {
    // The daemon's own 5xx (not the registry's): worth another try. An unreachable daemon is not a
    // registry problem and retrying the push would only hide that.
    if (error.kind === "server") {
      return { category: "transient", retry: true, reason: `engine error ${error.status ?? "5xx"}`, message };
    }
    if (error.kind === "not-found") {
      return {
        category: "local-missing",
        retry: false,
        reason: "image not found in the local engine",
        message,
      };
    }
  }
  return { category: "unknown", retry: false, reason: "unexpected failure", message };
}

function reasonOf(rule: Rule, m: RegExpExecArray): string {
  return typeof rule.reason === "string" ? rule.reason : rule.reason(m);
}
