// Where the engine is, read from the same environment variables the docker CLI reads. Parsing is
// pure (no file reads) so it can be unit-tested; certificates are loaded by the transport on the
// first request.
import { homedir } from "node:os";
import { join } from "node:path";
import { EngineError } from "./errors.js";

export const DEFAULT_SOCKET = "/var/run/docker.sock";

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  /** False when DOCKER_CERT_PATH is set without DOCKER_TLS_VERIFY, as the docker CLI does. */
  verify: boolean;
}

export type EngineHost =
  | { kind: "unix"; socketPath: string; description: string; fromEnv: boolean }
  | {
      kind: "tcp";
      protocol: "http:" | "https:";
      hostname: string;
      port: number;
      /** A path prefix some proxies put in front of the API (`tcp://host:2375/prefix`). */
      basePath: string;
      tls?: TlsFiles;
      description: string;
      fromEnv: boolean;
    };

type Env = Record<string, string | undefined>;

export function resolveEngineHost(env: Env = process.env): EngineHost {
  const raw = env.DOCKER_HOST?.trim();
  if (!raw) {
    return {
      kind: "unix",
      socketPath: DEFAULT_SOCKET,
      description: `unix://${DEFAULT_SOCKET}`,
      fromEnv: false,
    };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw invalidHost(raw, "it must start with unix://, tcp://, http:// or https://");
  }
  if (scheme === "unix") {
    const socketPath = raw.slice("unix://".length) || DEFAULT_SOCKET;
    return { kind: "unix", socketPath, description: `unix://${socketPath}`, fromEnv: true };
  }
  if (scheme !== "tcp" && scheme !== "http" && scheme !== "https") {
    const hint =
      scheme === "ssh"
        ? "ssh:// engines are not supported yet; forward the socket instead (ssh -L /tmp/docker.sock:/var/run/docker.sock host) and use unix://"
        : "use unix://, tcp://, http:// or https://";
    throw invalidHost(raw, `the ${scheme}:// scheme is not supported: ${hint}`);
  }
  return parseTcpHost(raw, scheme, env);
}

function parseTcpHost(raw: string, scheme: "tcp" | "http" | "https", env: Env): EngineHost {
  let url: URL;
  try {
    // A non-special scheme keeps every port as written (http:// would drop :80); an empty host
    // means localhost, as in the docker CLI.
    url = new URL(raw.replace(/^[a-z]+:\/\/(?=:)/i, "tcp://localhost").replace(/^[a-z]+:\/\//i, "tcp://"));
  } catch (cause) {
    throw invalidHost(raw, "it is not a valid host:port", cause);
  }
  if (!url.hostname) throw invalidHost(raw, "it names no host");
  if (url.username || url.password || url.search || url.hash) {
    throw invalidHost(raw, "credentials, query strings and fragments are not allowed");
  }
  const tls = tlsFilesFromEnv(env);
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
    fromEnv: true,
  };
}

function tlsFilesFromEnv(env: Env): TlsFiles | undefined {
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

function invalidHost(raw: string, why: string, cause?: unknown): EngineError {
  return new EngineError("unreachable", `DOCKER_HOST=${raw} is invalid: ${why}`, undefined, { cause });
}
