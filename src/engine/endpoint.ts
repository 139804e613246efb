// Which engine to use, decided as the docker CLI decides it: DOCKER_HOST wins; otherwise the
// docker context named by DOCKER_CONTEXT, or the config's `currentContext`; the `default`
// context (and no context at all) is DOCKER_HOST's default, the local socket. Contexts are read
// from $DOCKER_CONFIG/contexts (meta/<sha256 of the name>/meta.json and tls/<same>/docker/*.pem).
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { closest } from "./did-you-mean.js";
import { EngineConfigError } from "./errors.js";
import { defaultHost, parseEngineAddress, tlsFilesFromEnv } from "./host.js";
import type { EngineHost, TlsFiles } from "./host.js";

type Env = Record<string, string | undefined>;

export const DEFAULT_CONTEXT = "default";

/** The engine named by the environment and the docker config; reads context files, never the engine. */
export function resolveEngineHost(env: Env = process.env): EngineHost {
  const dockerHost = env.DOCKER_HOST?.trim();
  if (dockerHost) return parseEngineAddress(dockerHost, "DOCKER_HOST", tlsFilesFromEnv(env));
  const context = currentContextName(env);
  if (context === undefined || context.name === DEFAULT_CONTEXT) return defaultHost();
  return contextHost(dockerConfigDir(env), context.name, context.source);
}

/** `$DOCKER_CONFIG`, or `~/.docker`. */
export function dockerConfigDir(env: Env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), ".docker");
}

function currentContextName(env: Env): { name: string; source: string } | undefined {
  const fromEnv = env.DOCKER_CONTEXT?.trim();
  if (fromEnv) return { name: fromEnv, source: "DOCKER_CONTEXT" };
  const file = join(dockerConfigDir(env), "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined; // no config: the default context, as for the docker CLI
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new EngineConfigError(
      file,
      `${file} is not valid JSON, so its currentContext cannot be read: ${(cause as Error).message}. Fix the file or set DOCKER_HOST.`,
      { cause },
    );
  }
  const current = (parsed as { currentContext?: unknown } | null)?.currentContext;
  if (typeof current !== "string" || current === "") return undefined;
  return { name: current, source: `currentContext in ${file}` };
}

interface ContextMeta {
  Name?: unknown;
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
}

function contextDirName(name: string): string {
  return createHash("sha256").update(name).digest("hex");
}

function contextHost(configDir: string, name: string, source: string): EngineHost {
  const id = contextDirName(name);
  const metaFile = join(configDir, "contexts", "meta", id, "meta.json");
  let meta: ContextMeta;
  try {
    meta = JSON.parse(readFileSync(metaFile, "utf8")) as ContextMeta;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw missingContext(configDir, name, source);
    throw new EngineConfigError(
      metaFile,
      `the docker context "${name}" (${source}) cannot be read from ${metaFile}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const endpoint = meta.Endpoints?.docker;
  const host = endpoint?.Host;
  const label = `docker context "${name}"`;
  if (typeof host !== "string" || host === "") {
    // A context without a docker endpoint host falls back to the default socket in the CLI.
    return { ...defaultHost(), origin: label };
  }
  const tls = contextTls(join(configDir, "contexts", "tls", id, "docker"), endpoint?.SkipTLSVerify === true);
  return parseEngineAddress(host, label, tls);
}

/**
 * A context's TLS material: any of ca.pem, cert.pem, key.pem in its tls directory. Without
 * material and without SkipTLSVerify, a tcp:// endpoint is plain HTTP, as in the docker CLI.
 */
function contextTls(dir: string, skipVerify: boolean): TlsFiles | undefined {
  const files = { ca: join(dir, "ca.pem"), cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
  const any = existsSync(files.ca) || existsSync(files.cert) || existsSync(files.key);
  if (!any && !skipVerify) return undefined;
  return { ...files, verify: !skipVerify };
}

function missingContext(configDir: string, name: string, source: string): EngineConfigError {
  const known = [DEFAULT_CONTEXT, ...listContexts(configDir)];
  const near = closest(name, known, Math.max(2, Math.floor(name.length / 3)));
  const lines = [
    `the docker context "${name}" (from ${source}) does not exist in ${join(configDir, "contexts")}.`,
    `Known contexts: ${known.join(", ")}.`,
  ];
  if (near !== undefined) lines.push(`Did you mean "${near}"?`);
  lines.push("Create it with `docker context create`, or choose another with DOCKER_CONTEXT or DOCKER_HOST.");
  return new EngineConfigError(source, lines.join(" "));
}

function listContexts(configDir: string): string[] {
  const metaDir = join(configDir, "contexts", "meta");
  const names: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(metaDir);
  } catch {
    return names;
  }
  for (const entry of entries) {
    try {
      const meta = JSON.parse(readFileSync(join(metaDir, entry, "meta.json"), "utf8")) as ContextMeta;
      if (typeof meta.Name === "string") names.push(meta.Name);
    } catch {
      // not a context directory
    }
  }
  return names.sort();
}
