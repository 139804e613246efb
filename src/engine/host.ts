// Where an engine is, from a DOCKER_HOST-style address. Parsing is pure (no file reads) so it can
// be unit-tested; certificates are loaded by the transport on the first request, and docker
// contexts (which name such an address) are read by `endpoint.ts`.
import { homedir } from "node:os";
import { join } from "node:path";
import { closest } from "./did-you-mean.js";
import { EngineConfigError } from "./errors.js";

export const DEFAULT_SOCKET = "/var/run/docker.sock";

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  /** False when DOCKER_CERT_PATH is set without DOCKER_TLS_VERIFY, as the docker CLI does. */
  verify: boolean;
}

interface HostCommon {
  /** The address as shown to users: `unix:///var/run/docker.sock`, `ssh://me@build:22`. */
  description: string;
  /** Where the address came from, for messages: "DOCKER_HOST", `docker context "ci"`; unset for the default socket. */
  origin?: string;
}

export type EngineHost =
  | (HostCommon & { kind: "unix"; socketPath: string })
  | (HostCommon & {
      kind: "tcp";
      protocol: "http:" | "https:";
      hostname: string;
      port: number;
      /** A path prefix some proxies put in front of the API (`tcp://host:2375/prefix`). */
      basePath: string;
      tls?: TlsFiles;
    })
  | (HostCommon & {
      kind: "ssh";
      /** The host as given (a name from the user's ssh config works). */
      hostname: string;
      user?: string;
      port?: number;
      /** The remote engine's socket (`ssh://host/run/podman/podman.sock`); unset: the remote docker CLI's default. */
      socketPath?: string;
    });

type Env = Record<string, string | undefined>;

export const SUPPORTED_SCHEMES = ["unix", "tcp", "http", "https", "ssh"] as const;
const SUPPORTED_TEXT = "unix://, tcp://, http://, https:// and ssh://";

/** The default local socket, used when neither DOCKER_HOST nor a docker context names an engine. */
export function defaultHost(): EngineHost {
  return { kind: "unix", socketPath: DEFAULT_SOCKET, description: `unix://${DEFAULT_SOCKET}` };
}

/**
 * Parses a DOCKER_HOST-style address. `tls` applies to tcp:// (from the TLS variables or a
 * context's TLS material); `source` names where the value came from, for errors and messages.
 */
export function parseEngineAddress(raw: string, source: string, tls?: TlsFiles): EngineHost {
  const match = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw);
  const scheme = match?.[1]?.toLowerCase();
  if (scheme === undefined || !(SUPPORTED_SCHEMES as readonly string[]).includes(scheme)) {
    throw unsupportedAddress(raw, source, scheme);
  }
  if (scheme === "unix") {
    const socketPath = raw.slice("unix://".length) || DEFAULT_SOCKET;
    return { kind: "unix", socketPath, description: `unix://${socketPath}`, origin: source };
  }
  if (scheme === "ssh") return parseSshAddress(raw, source);
  return parseTcpAddress(raw, scheme as "tcp" | "http" | "https", source, tls);
}

function parseTcpAddress(
  raw: string,
  scheme: "tcp" | "http" | "https",
  source: string,
  tls: TlsFiles | undefined,
): EngineHost {
  let url: URL;
  try {
    // A non-special scheme keeps every port as written (http:// would drop :80); an empty host
    // means localhost, as in the docker CLI.
    url = new URL(raw.replace(/^[a-z]+:\/\/(?=:)/i, "tcp://localhost").replace(/^[a-z]+:\/\//i, "tcp://"));
  } catch (cause) {
    throw invalidAddress(raw, source, "it is not a valid host:port", cause);
  }
  if (!url.hostname) throw invalidAddress(raw, source, "it names no host");
  if (url.username || url.password || url.search || url.hash) {
    throw invalidAddress(raw, source, "credentials, query strings and fragments are not allowed");
  }
  const secure = scheme === "https" || tls !== undefined;
  const port = url.port ? Number(url.port) : secure ? 2376 : 2375;
  const protocol = secure ? "https:" : "http:";
  const basePath = url.pathname.replace(/\/+$/, "");
  const shownScheme = scheme === "tcp" ? "tcp" : protocol.slice(0, -1);
  const tlsNote = scheme === "tcp" && secure ? " (TLS)" : "";
  return {
    kind: "tcp",
    protocol,
    // node:net wants IPv6 literals without brackets.
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    basePath,
    ...(tls ? { tls } : {}),
    description: `${shownScheme}://${url.hostname}:${port}${basePath}${tlsNote}`,
    origin: source,
  };
}

/** `ssh://[user@]host[:port][/socket]`, the forms the docker CLI accepts. */
function parseSshAddress(raw: string, source: string): EngineHost {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw invalidAddress(raw, source, "expected ssh://[user@]host[:port]", cause);
  }
  if (!url.hostname) throw invalidAddress(raw, source, "it names no host; expected ssh://[user@]host[:port]");
  if (url.password) {
    throw invalidAddress(
      raw,
      source,
      "a password in the address is not supported (it would be visible to every process); use an ssh key or agent",
    );
  }
  if (url.search || url.hash)
    throw invalidAddress(raw, source, "query strings and fragments are not allowed");
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  const port = url.port ? Number(url.port) : undefined;
  const socketPath = url.pathname && url.pathname !== "/" ? decodeURIComponent(url.pathname) : undefined;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const shown = `ssh://${user ? `${user}@` : ""}${url.hostname}${port ? `:${port}` : ""}${socketPath ?? ""}`;
  return {
    kind: "ssh",
    hostname,
    ...(user ? { user } : {}),
    ...(port ? { port } : {}),
    ...(socketPath ? { socketPath } : {}),
    description: shown,
    origin: source,
  };
}

/** TLS files named by DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, as the docker CLI reads them. */
export function tlsFilesFromEnv(env: Env): TlsFiles | undefined {
  const verify = Boolean(env.DOCKER_TLS_VERIFY);
  const certPath = env.DOCKER_CERT_PATH || (verify ? join(homedir(), ".docker") : undefined);
  if (certPath === undefined) return undefined;
  return {
    ca: join(certPath, "ca.pem"),
    cert: join(certPath, "cert.pem"),
    key: join(certPath, "key.pem"),
    verify,
  };
}

function invalidAddress(raw: string, source: string, why: string, cause?: unknown): EngineConfigError {
  return new EngineConfigError(source, `${source}=${raw} is invalid: ${why}`, { cause });
}

/** An address kiln cannot use: says why, lists what works, and guesses what was meant. */
function unsupportedAddress(raw: string, source: string, scheme: string | undefined): EngineConfigError {
  const lines = [`${source}=${raw} is not supported.`];
  const guess = guessAddress(raw, scheme);
  if (scheme === "npipe") {
    lines.push("npipe:// names a Windows named pipe; kiln talks to Linux engines.");
  } else if (scheme === "fd") {
    lines.push(
      "fd:// is how dockerd receives sockets from systemd (dockerd -H fd://); clients cannot use it.",
    );
  } else if (scheme !== undefined) {
    lines.push(`The scheme ${scheme}:// is not one kiln knows.`);
  } else {
    lines.push("It has no scheme.");
  }
  lines.push(`Supported: ${SUPPORTED_TEXT}.`);
  if (guess !== undefined) lines.push(`Did you mean ${source}=${guess}?`);
  return new EngineConfigError(source, lines.join(" "));
}

function guessAddress(raw: string, scheme: string | undefined): string | undefined {
  if (scheme === "npipe" || scheme === "fd") return `unix://${DEFAULT_SOCKET}`;
  if (scheme !== undefined) {
    const near = closest(scheme, SUPPORTED_SCHEMES);
    return near === undefined ? undefined : `${near}://${raw.slice(scheme.length + 3)}`;
  }
  // A scheme with the wrong number of slashes (`tcp:/host`, `unix:/run/docker.sock`).
  const slashes = /^([a-z][a-z0-9+.-]*):\/*(.*)$/i.exec(raw);
  if (slashes) {
    const near = closest(slashes[1]!, SUPPORTED_SCHEMES);
    if (near === "unix") return `unix:///${slashes[2]!.replace(/^\/+/, "")}`;
    if (near !== undefined) return `${near}://${slashes[2]!}`;
  }
  if (raw.startsWith("/")) return `unix://${raw}`;
  if (/^[\w.-]+:\d+$/.test(raw)) return `tcp://${raw}`;
  return undefined;
}
