// Which credentials go with a request to one registry, and where they came from. Order: the
// template's own login (ECR token or login_* options) for its server, then Docker's chain as the
// docker CLI reads it: credHelpers[host], credsStore, auths. Credentials are only ever chosen for
// the registry the image reference names (reliability bar SR-5).
import type { RegistryAuth } from "../engine/types.js";
import { CredentialHelperError, getFromCredentialHelper } from "./credential-helper.js";
import { decodeAuthEntry, findByHost, readDockerConfig, type DockerConfig } from "./docker-config.js";
import { getEcrToken, type EcrLoginOptions } from "./ecr.js";
import { sameRegistry, serverHost, serverKey } from "./server-name.js";

export type AuthSource =
  "template" | "ecr" | "config auths" | `credential helper ${string}` | `credsStore ${string}` | "none";

export interface TemplateLogin {
  /** `login_server`; "" means Docker Hub, as `docker login` without a server. */
  server: string;
  username: string;
  password: string;
}

export interface EcrLogin {
  /** `login_server`: the ECR registry host. */
  server: string;
  accessKey?: string;
  secretKey?: string;
  sessionToken?: string;
  profile?: string;
}

export interface ResolveOptions {
  templateLogin?: TemplateLogin;
  ecr?: EcrLogin;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Called with every secret the moment it is known, before anything can print it. */
  onSecret?: (value: string) => void;
  /** Problems that do not stop the lookup (a helper missing from PATH, an unreadable config). */
  onWarning?: (message: string) => void;
  helperTimeoutMs?: number;
  loadEcrSdk?: EcrLoginOptions["loadSdk"];
}

export interface ResolvedAuth {
  auth?: RegistryAuth;
  source: AuthSource;
  /** The registry host the credentials are for (`docker.io`, `127.0.0.1:5000`). */
  server: string;
  /** Where the source lives (the config.json path), for messages; never a secret. */
  origin?: string;
}

export async function resolveAuth(registryHost: string, opts: ResolveOptions): Promise<ResolvedAuth> {
  const host = serverHost(registryHost);
  const key = serverKey(host);
  const secret = (v: string | undefined): void => {
    if (v) opts.onSecret?.(v);
  };

  if (opts.ecr && sameRegistry(opts.ecr.server, host)) {
    const token = await getEcrToken(opts.ecr.server, {
      env: opts.env,
      ...(opts.ecr.accessKey ? { accessKey: opts.ecr.accessKey } : {}),
      ...(opts.ecr.secretKey ? { secretKey: opts.ecr.secretKey } : {}),
      ...(opts.ecr.sessionToken ? { sessionToken: opts.ecr.sessionToken } : {}),
      ...(opts.ecr.profile ? { profile: opts.ecr.profile } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.loadEcrSdk ? { loadSdk: opts.loadEcrSdk } : {}),
    });
    secret(token.password);
    return {
      auth: { username: token.username, password: token.password, serveraddress: key },
      source: "ecr",
      server: host,
    };
  }

  if (opts.templateLogin && sameRegistry(opts.templateLogin.server, host)) {
    secret(opts.templateLogin.password);
    const { username, password } = opts.templateLogin;
    return { auth: { username, password, serveraddress: key }, source: "template", server: host };
  }

  let config: DockerConfig | undefined;
  try {
    config = await readDockerConfig(opts.env);
  } catch (error) {
    opts.onWarning?.(`${(error as Error).message}; continuing without it`);
  }
  if (!config) return { source: "none", server: host };
  const origin = config.path;

  const viaHelper = async (
    helper: string,
    label: AuthSource,
    servers: string[],
  ): Promise<ResolvedAuth | undefined> => {
    for (const server of servers) {
      try {
        const auth = await getFromCredentialHelper(helper, server, {
          env: opts.env,
          ...(opts.helperTimeoutMs !== undefined ? { timeoutMs: opts.helperTimeoutMs } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        if (auth) {
          secret(auth.password);
          secret(auth.identitytoken);
          return { auth: { ...auth, serveraddress: key }, source: label, server: host, origin };
        }
      } catch (error) {
        if (!(error instanceof CredentialHelperError)) throw error;
        opts.onWarning?.(`${error.message}; trying the rest of the Docker credential chain`);
        return undefined;
      }
    }
    return undefined;
  };

  const helper = findByHost(config.credHelpers, host);
  if (helper) {
    const found = await viaHelper(helper.value, `credential helper ${helper.value}`, [key]);
    if (found) return found;
  }

  const entry = findByHost(config.auths, host);
  if (config.credsStore) {
    // Helpers store what `docker login` was given; also try the spelling the auths key records.
    const servers = [key, ...(entry && entry.key !== key ? [entry.key] : [])];
    const found = await viaHelper(config.credsStore, `credsStore ${config.credsStore}`, servers);
    if (found) return found;
  }

  if (entry) {
    secret(entry.value.auth);
    let auth: RegistryAuth | undefined;
    try {
      auth = decodeAuthEntry(entry.value);
    } catch (error) {
      opts.onWarning?.(`${(error as Error).message} (${origin}, entry ${JSON.stringify(entry.key)})`);
    }
    if (auth) {
      secret(auth.password);
      secret(auth.identitytoken);
      return { auth: { ...auth, serveraddress: key }, source: "config auths", server: host, origin };
    }
  }
  return { source: "none", server: host, origin };
}

/** "config auths (/home/u/.docker/config.json)", "credential helper ecr-login", "no credentials". */
export function describeSource(resolved: ResolvedAuth): string {
  switch (resolved.source) {
    case "none":
      return "no credentials";
    case "template":
      return "the template's login_username/login_password";
    case "ecr":
      return "an Amazon ECR token";
    default:
      return resolved.origin ? `${resolved.source} (${resolved.origin})` : resolved.source;
  }
}
