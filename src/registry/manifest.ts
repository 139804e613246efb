// Registry API v2, read-only and minimal: does `repo:tag` exist, and what is its digest? A HEAD on
// the manifest answers without pulling anything (the cache's `-cache-from` lookups and `kiln plan`
// use it). Authentication follows the registry's challenge: Basic, or a Bearer token fetched from
// the realm it names (with the user's credentials, or an identity token as refresh token).
// Plain HTTP only for registries the engine itself treats as insecure (its InsecureRegistryCIDRs
// and IndexConfigs), after HTTPS failed, as the engine does.
import { isIP } from "node:net";
import type { EngineInfo, RegistryAuth } from "../engine/types.js";
import { ImageReference } from "../engine/reference.js";

const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
].join(", ");

export class RegistryError extends Error {
  override readonly name = "RegistryError";
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ManifestCheck {
  exists: boolean;
  digest?: string;
}

export interface RegistryClientOptions {
  auth?: RegistryAuth;
  /** The engine's registry configuration: which hosts may be reached over plain HTTP. */
  info?: EngineInfo;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  if (!base || isIP(base) !== 4 || isIP(ip) !== 4) return false;
  const mask =
    bits === undefined ? 0xffffffff : Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(base) & mask);
}

/** Whether the engine would talk plain HTTP to this registry host (`host[:port]`). */
export function isInsecureRegistry(host: string, info: EngineInfo | undefined): boolean {
  const config = info?.RegistryConfig;
  const index = config?.IndexConfigs?.[host];
  if (index) return !index.Secure;
  const name = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  const ip = name === "localhost" ? "127.0.0.1" : name;
  return (config?.InsecureRegistryCIDRs ?? []).some((cidr) => inCidr(ip, cidr));
}

function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(" ");
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
  return { scheme, params };
}

function basic(auth: RegistryAuth): string | undefined {
  if (!auth.username && !auth.password) return undefined;
  return `Basic ${Buffer.from(`${auth.username ?? ""}:${auth.password ?? ""}`).toString("base64")}`;
}

export async function checkManifest(
  reference: string,
  opts: RegistryClientOptions = {},
): Promise<ManifestCheck> {
  const ref = ImageReference.parse(reference);
  const doFetch = opts.fetch ?? fetch;
  const host = ref.registry === "docker.io" ? "registry-1.docker.io" : ref.registry;
  const path = `/v2/${ref.path}/manifests/${ref.digest ?? ref.tag ?? "latest"}`;
  const schemes = isInsecureRegistry(ref.registry, opts.info) ? ["https", "http"] : ["https"];
  let lastError: unknown;
  for (const scheme of schemes) {
    const url = `${scheme}://${host}${path}`;
    try {
      return await headWithAuth(url, ref.path, opts, doFetch);
    } catch (e) {
      if (e instanceof RegistryError) throw e;
      lastError = e; // TLS or connection failure: an insecure registry may answer over HTTP
    }
  }
  const cause =
    lastError instanceof Error
      ? lastError.cause instanceof Error
        ? lastError.cause.message
        : lastError.message
      : String(lastError);
  throw new RegistryError(`the registry ${ref.registry} could not be reached: ${cause}`, undefined, {
    cause: lastError,
  });
}

async function headWithAuth(
  url: string,
  repoPath: string,
  opts: RegistryClientOptions,
  doFetch: typeof fetch,
): Promise<ManifestCheck> {
  const head = (authorization?: string) =>
    doFetch(url, {
      method: "HEAD",
      headers: { Accept: MANIFEST_TYPES, ...(authorization ? { Authorization: authorization } : {}) },
      signal: opts.signal,
      redirect: "follow",
    });
  let res = await head();
  if (res.status === 401) {
    const challenge = parseChallenge(res.headers.get("www-authenticate") ?? "");
    let authorization: string | undefined;
    if (challenge.scheme === "basic" && opts.auth) authorization = basic(opts.auth);
    if (challenge.scheme === "bearer") {
      authorization = `Bearer ${await bearerToken(challenge.params, repoPath, opts, doFetch)}`;
    }
    if (authorization) res = await head(authorization);
  }
  if (res.status === 404) return { exists: false };
  if (res.ok) return { exists: true, digest: res.headers.get("docker-content-digest") ?? undefined };
  if (res.status === 401 || res.status === 403) {
    throw new RegistryError(
      `the registry refused access to ${repoPath} (HTTP ${res.status})${opts.auth ? " with the credentials found" : " without credentials"}`,
      res.status,
    );
  }
  throw new RegistryError(`the registry answered HTTP ${res.status} for ${url}`, res.status);
}

async function bearerToken(
  params: Record<string, string>,
  repoPath: string,
  opts: RegistryClientOptions,
  doFetch: typeof fetch,
): Promise<string> {
  if (!params.realm) throw new RegistryError("the registry asked for a token but named no realm");
  const scope = params.scope ?? `repository:${repoPath}:pull`;
  const auth = opts.auth;
  let res: Response;
  if (auth?.identitytoken) {
    res = await doFetch(params.realm, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: auth.identitytoken,
        service: params.service ?? "",
        scope,
        client_id: "kiln",
      }),
      signal: opts.signal,
    });
  } else {
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    url.searchParams.set("scope", scope);
    const authorization = auth ? basic(auth) : undefined;
    res = await doFetch(url, {
      headers: authorization ? { Authorization: authorization } : {},
      signal: opts.signal,
    });
  }
  if (!res.ok) {
    throw new RegistryError(`the registry's token service refused access (HTTP ${res.status})`, res.status);
  }
  const body = (await res.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new RegistryError("the registry's token service answered without a token");
  return token;
}
