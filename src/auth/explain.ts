// One-line causes for registry failures: which registry the reference points to, which server kiln
// authenticated against and with what (never the secret), and what to change. Packer printed
// "Bad exit status: 1" for all of these; seed 000 lost a day to a login_server that named another
// registry than the repository did.
import type { Classified } from "./classify.js";
import { describeSource, type ResolvedAuth } from "./resolve.js";
import { sameRegistry, serverHost } from "./server-name.js";

export interface TemplateLoginSetting {
  /** The option that asked for the login. */
  option: "login" | "ecr_login";
  /** `login_server` as written ("" = Docker Hub for `login`). */
  server: string;
}

export interface RegistryFailure {
  action: "push" | "pull";
  ref: string;
  /** Registry host the reference points to. */
  registry: string;
  /** Repository path inside the registry (`team/app`). */
  repository: string;
  resolved: ResolvedAuth;
  login?: TemplateLoginSetting;
  failure: Classified;
  attempts: number;
  /** True when every attempt failed transiently. */
  exhausted: boolean;
  elapsedMs?: number;
}

/** Set when the template's login names another registry than the reference. */
export function loginMismatch(login: TemplateLoginSetting | undefined, registry: string): string | undefined {
  if (!login) return undefined;
  if (login.option === "ecr_login" && login.server === "") return undefined;
  return sameRegistry(login.server, registry) ? undefined : serverHost(login.server);
}

/** The up-front warning for a login_server that does not match the reference's registry. */
export function mismatchWarning(login: TemplateLoginSetting, ref: string, registry: string): string {
  const loginHost = serverHost(login.server);
  const named =
    login.server === ""
      ? `login_server is empty, which means Docker Hub (${loginHost})`
      : `login_server is ${loginHost}`;
  return (
    `Warning: ${ref} points to registry ${registry}, but ${named}: the ${login.option} credentials are not sent to ${registry}. ` +
    `Remove login_server (kiln takes the registry from the repository) or make the repository ${loginHost}/…`
  );
}

export function explainRegistryFailure(f: RegistryFailure): string {
  // The engine prefixes its errors with the action ("push ref: …"); the head already says it.
  const cause = oneLine(f.failure.message).replace(/^(?:push|pull) \S+: /, "");
  const head = f.exhausted
    ? `${f.action} of ${f.ref} failed after ${f.attempts} attempts${f.elapsedMs !== undefined ? ` over ${seconds(f.elapsedMs)}` : ""}: ${f.failure.reason} (${cause})`
    : `${f.action} of ${f.ref} failed: ${cause}`;
  const used = `kiln authenticated against ${f.resolved.server} with ${describeSource(f.resolved)}`;
  const where = `${f.ref} points to registry ${f.registry}; ${f.resolved.source === "none" ? `kiln found no credentials for ${f.registry}` : used}`;
  return `${head}. ${where}. ${fixFor(f)}`;
}

function fixFor(f: RegistryFailure): string {
  const reg = f.registry;
  const otherHost = loginMismatch(f.login, reg);
  const authProblem = f.failure.category === "unauthorized" || f.failure.category === "denied";
  if (otherHost !== undefined && authProblem) {
    return (
      `The template's ${f.login?.option} credentials are for ${otherHost}, not ${reg}. ` +
      `Fix: remove login_server (kiln takes the registry from the repository) or make the repository ${otherHost}/${f.repository}`
    );
  }
  const source = f.resolved.source;
  switch (f.failure.category) {
    case "unauthorized":
      if (source === "none") {
        return `Fix: set "login": true with login_username and login_password for ${reg}, or run \`docker login ${reg}\` (kiln reads the Docker config)`;
      }
      if (source === "template") return `Fix: check login_username and login_password for ${reg}`;
      if (source === "ecr")
        return `Fix: check that the AWS identity may call ecr:GetAuthorizationToken and push to ${reg}`;
      return `Fix: the stored credentials were rejected; refresh them (\`docker login ${reg}\`) or set login_username/login_password`;
    case "denied":
      if (source === "none")
        return `Fix: ${reg} refuses anonymous pushes; set login_username/login_password or run \`docker login ${reg}\``;
      return `Fix: the credentials were accepted but may not ${f.action} ${f.repository}; check the repository name (namespace, e.g. the Docker Hub user) and the account's permissions`;
    case "name-unknown":
      return `Fix: create the repository ${f.repository} on ${reg} first (ECR: \`aws ecr create-repository --repository-name ${f.repository}\`)`;
    case "manifest-unknown":
      return `Fix: check that ${f.ref} exists on ${reg}`;
    case "local-missing":
      return `Fix: docker-push pushes the references a docker-tag or docker-import earlier in the same post-processor sequence created; check that sequence`;
    case "tls":
      return `Fix: make the Docker engine trust ${reg}'s certificate (/etc/docker/certs.d/${reg}/ca.crt) or list it in the daemon's insecure-registries`;
    case "host-unknown":
      return `Fix: check the registry host ${reg} in the repository name`;
    case "transient":
      return `Fix: check that ${reg} is running and reachable from the Docker engine, then build again`;
    default:
      return `Fix: see the registry's message above`;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
