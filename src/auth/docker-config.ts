// Read-only view of Docker's client config (`$DOCKER_CONFIG/config.json` or
// `~/.docker/config.json`). kiln never writes it: credentials travel per request in the Engine
// API's auth header instead of through `docker login`.
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { RegistryAuth } from "../engine/types.js";
import { serverHost } from "./server-name.js";

export interface AuthEntry {
  /** base64 of `user:password` */
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface DockerConfig {
  /** Where it was read from, for messages. */
  path: string;
  auths: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers: Record<string, string>;
}

export class DockerConfigError extends Error {
  override readonly name = "DockerConfigError";
}

/** Where Docker looks: `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  const dir = env.DOCKER_CONFIG;
  if (dir !== undefined && dir !== "") return path.join(dir, "config.json");
  const home = env.HOME !== undefined && env.HOME !== "" ? env.HOME : os.homedir();
  return path.join(home, ".docker", "config.json");
}

/** undefined when there is no config file (the common CI case); throws on unreadable JSON. */
export async function readDockerConfig(env: NodeJS.ProcessEnv): Promise<DockerConfig | undefined> {
  const file = dockerConfigPath(env);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new DockerConfigError(`cannot read Docker config ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseDockerConfig(text, file);
}

export function parseDockerConfig(text: string, file: string): DockerConfig {
  let raw: unknown;
  try {
    raw = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    // The parser's message can quote the file's content, which may hold credentials.
    throw new DockerConfigError(
      `Docker config ${file} is not valid JSON; fix or move it (kiln only reads it)`,
      {
        cause: error instanceof Error ? new Error(error.name) : undefined,
      },
    );
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new DockerConfigError(`Docker config ${file} must be a JSON object`);
  }
  const obj = raw as Record<string, unknown>;
  const config: DockerConfig = { path: file, auths: {}, credHelpers: {} };
  if (isRecord(obj.auths)) {
    for (const [key, value] of Object.entries(obj.auths)) {
      if (!isRecord(value)) continue;
      const entry: AuthEntry = {};
      for (const field of ["auth", "username", "password", "identitytoken"] as const) {
        const v = value[field];
        if (typeof v === "string" && v !== "") entry[field] = v;
      }
      config.auths[key] = entry;
    }
  }
  if (typeof obj.credsStore === "string" && obj.credsStore !== "") config.credsStore = obj.credsStore;
  if (isRecord(obj.credHelpers)) {
    for (const [key, value] of Object.entries(obj.credHelpers)) {
      if (typeof value === "string" && value !== "") config.credHelpers[key] = value;
    }
  }
  return config;
}

/**
 * The entry for a registry: an exact key first, then any key naming the same host
 * (`https://127.0.0.1:5000`, `127.0.0.1:5000/v2/`, `https://index.docker.io/v1/` for docker.io).
 */
export function findByHost<T>(map: Record<string, T>, host: string): { key: string; value: T } | undefined {
  const exact = map[host];
  if (exact !== undefined) return { key: host, value: exact };
  const wanted = serverHost(host);
  for (const [key, value] of Object.entries(map)) {
    if (serverHost(key) === wanted) return { key, value };
  }
  return undefined;
}

/**
 * Credentials from an `auths` entry, or undefined when it holds none (credsStore logins leave
 * empty `{}` entries behind).
 */
export function decodeAuthEntry(entry: AuthEntry): RegistryAuth | undefined {
  const out: RegistryAuth = {};
  if (entry.auth !== undefined) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    // Only the first colon separates: passwords may contain colons.
    const colon = decoded.indexOf(":");
    if (colon === -1)
      throw new DockerConfigError("an `auth` value in the Docker config is not base64 of user:password");
    out.username = decoded.slice(0, colon);
    out.password = decoded.slice(colon + 1);
  } else {
    if (entry.username !== undefined) out.username = entry.username;
    if (entry.password !== undefined) out.password = entry.password;
  }
  if (entry.identitytoken !== undefined) out.identitytoken = entry.identitytoken;
  const hasSecret = (out.password !== undefined && out.password !== "") || out.identitytoken !== undefined;
  return hasSecret ? out : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
