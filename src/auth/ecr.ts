// Amazon ECR login: a GetAuthorizationToken call through the AWS SDK v3, whose token decodes to
// `AWS:<password>` for the registry. The SDK (18 MB, full credential chain) is loaded only when a
// template asks for `ecr_login`.
import type * as EcrSdk from "@aws-sdk/client-ecr";
import { serverHost } from "./server-name.js";

export interface EcrRegistry {
  account: string;
  region: string;
  host: string;
}

// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn], optionally with scheme, port and path.
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::\d+)?$/;

/** The account and region an ECR registry host names; undefined for any other host. */
export function parseEcrHost(server: string): EcrRegistry | undefined {
  const host = serverHost(server);
  const m = ECR_HOST.exec(host);
  if (!m?.[1] || !m[2]) return undefined;
  return { account: m[1], region: m[2], host };
}

export interface EcrLoginOptions {
  accessKey?: string;
  secretKey?: string;
  sessionToken?: string;
  profile?: string;
  /** Where AWS_REGION, AWS_ENDPOINT_URL_ECR… are read from (the kiln process's environment). */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Injected by tests; defaults to a dynamic import of @aws-sdk/client-ecr. */
  loadSdk?: () => Promise<typeof EcrSdk>;
}

export interface EcrToken {
  username: string;
  password: string;
  /** `https://<host>` the token is valid for, as ECR reports it. */
  proxyEndpoint?: string;
  expiresAt?: Date;
  region?: string;
}

export class EcrLoginError extends Error {
  override readonly name = "EcrLoginError";
}

const DEFAULT_TIMEOUT_MS = 60_000;

async function loadEcrSdk(): Promise<typeof EcrSdk> {
  // The SDK warns on every Node 20 run; the warning is about a future SDK release, not kiln.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  return import("@aws-sdk/client-ecr");
}

/**
 * A registry token for `server`. The region comes from the ECR host name; for hosts that do not
 * name one (VPC endpoints, proxies, the test stand-in) the SDK's own region chain applies
 * (AWS_REGION, the profile).
 */
export async function getEcrToken(server: string, opts: EcrLoginOptions): Promise<EcrToken> {
  const parsed = parseEcrHost(server);
  const region = parsed?.region ?? nonEmpty(opts.env.AWS_REGION) ?? nonEmpty(opts.env.AWS_DEFAULT_REGION);
  if ((opts.accessKey ? 1 : 0) + (opts.secretKey ? 1 : 0) === 1) {
    throw new EcrLoginError("ecr_login: aws_access_key and aws_secret_key must be given together");
  }
  const sdk = await (opts.loadSdk ?? loadEcrSdk)();
  const config: EcrSdk.ECRClientConfig = {};
  if (region) config.region = region;
  // The SDK reads AWS_ENDPOINT_URL_ECR itself, but from process.env; passing it keeps the
  // environment kiln was given authoritative.
  const endpoint = nonEmpty(opts.env.AWS_ENDPOINT_URL_ECR) ?? nonEmpty(opts.env.AWS_ENDPOINT_URL);
  if (endpoint) config.endpoint = endpoint;
  if (opts.accessKey && opts.secretKey) {
    config.credentials = {
      accessKeyId: opts.accessKey,
      secretAccessKey: opts.secretKey,
      ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
    };
  } else if (opts.profile) {
    config.profile = opts.profile;
  }
  const client = new sdk.ECRClient(config);
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const abortSignal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const where = `${parsed?.host ?? serverHost(server)}${region ? ` (region ${region})` : ""}`;
  let response: EcrSdk.GetAuthorizationTokenCommandOutput;
  try {
    response = await client.send(new sdk.GetAuthorizationTokenCommand({}), { abortSignal });
  } catch (error) {
    const e = error as Error;
    let why = timeout.aborted ? "no answer in time" : `${e.name}: ${e.message}`;
    if (!region && /region is missing/i.test(e.message)) {
      why = `${serverHost(server)} is not an ECR host name (<account>.dkr.ecr.<region>.amazonaws.com) and no AWS region is configured; set AWS_REGION`;
    }
    throw new EcrLoginError(`ECR GetAuthorizationToken for ${where} failed: ${why}`, { cause: error });
  } finally {
    client.destroy();
  }
  const data = response.authorizationData?.[0];
  if (!data?.authorizationToken) {
    throw new EcrLoginError(`ECR GetAuthorizationToken for ${where} returned no token`);
  }
  const { username, password } = decodeEcrToken(data.authorizationToken);
  return {
    username,
    password,
    ...(data.proxyEndpoint ? { proxyEndpoint: data.proxyEndpoint } : {}),
    ...(data.expiresAt ? { expiresAt: data.expiresAt } : {}),
    ...(region ? { region } : {}),
  };
}

/** base64(`AWS:<password>`) → its parts; the password itself may contain colons. */
export function decodeEcrToken(token: string): { username: string; password: string } {
  const decoded = Buffer.from(token, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) throw new EcrLoginError("the ECR authorization token is not base64 of user:password");
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v !== "" ? v : undefined;
}
