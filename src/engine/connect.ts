// Connecting to the engine for a run: the endpoint from DOCKER_HOST / docker contexts, a ping,
// and, when nothing answers at the default socket and Podman is installed, a Podman service
// started for the length of the run. Says which engine it is, for the first line of output.
import { DockerEngine } from "./docker-engine.js";
import { EngineError } from "./errors.js";
import { resolveEngineHost } from "./endpoint.js";
import type { EngineHost } from "./host.js";
import { findPodman, startPodmanService } from "./podman-service.js";
import type { EngineIdentity } from "./types.js";

type Env = Record<string, string | undefined>;

export interface EngineSession {
  engine: DockerEngine;
  identity: EngineIdentity;
  /** "Using the Docker engine at unix:///var/run/docker.sock (Docker 20.10.24, API 1.41)". */
  summary: string;
  /** Closes connections and stops a Podman service started for this run. Idempotent. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  env?: Env;
  signal?: AbortSignal;
  /** Start Podman's service when no engine answers at the default socket (default true). */
  startPodman?: boolean;
}

/**
 * Resolves the endpoint (throws EngineConfigError for bad settings, before any I/O), pings it,
 * and reads its identity. Throws EngineError when no engine can be reached.
 */
export async function connectEngine(
  host: EngineHost | undefined,
  opts: ConnectOptions = {},
): Promise<EngineSession> {
  const env = opts.env ?? process.env;
  const target = host ?? resolveEngineHost(env);
  const engine = new DockerEngine(target);
  try {
    await engine.ping(opts.signal);
  } catch (err) {
    engine.close();
    const podman = target.origin === undefined && opts.startPodman !== false ? findPodman(env) : undefined;
    if (!(err instanceof EngineError && err.kind === "unreachable") || podman === undefined) throw err;
    return startedPodman(podman, env, target, err, opts.signal);
  }
  const identity = await engine.identity();
  return {
    engine,
    identity,
    summary: `Using the ${identity.product} engine at ${describe(target)} (${versionText(identity)})`,
    close: async () => engine.close(),
  };
}

async function startedPodman(
  podman: string,
  env: Env,
  tried: EngineHost,
  firstError: EngineError,
  signal?: AbortSignal,
): Promise<EngineSession> {
  let engine: DockerEngine | undefined;
  const service = await startPodmanService(podman, env, async (socketPath) => {
    engine ??= new DockerEngine({
      kind: "unix",
      socketPath,
      description: `unix://${socketPath}`,
      origin: "a Podman service started by kiln",
    });
    try {
      await engine.ping(signal);
      return true;
    } catch {
      return false;
    }
  }).catch((cause: unknown) => {
    throw new EngineError(
      "unreachable",
      `${firstError.message}\nPodman is installed, but starting its service failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      undefined,
      { cause },
    );
  });
  const started = engine!;
  try {
    const identity = await started.identity();
    return {
      engine: started,
      identity,
      summary:
        `Using the ${identity.product} engine at ${started.endpoint} (${versionText(identity)}), ` +
        `started by kiln for this run: no engine answers at ${tried.description}`,
      close: async () => {
        started.close();
        await service.stop();
      },
    };
  } catch (err) {
    started.close();
    await service.stop();
    throw err;
  }
}

function describe(host: EngineHost): string {
  return host.origin !== undefined && host.origin !== "DOCKER_HOST"
    ? `${host.description} (${host.origin})`
    : host.description;
}

function versionText(identity: EngineIdentity): string {
  return `${identity.product} ${identity.version}, API ${identity.apiVersion}`;
}
