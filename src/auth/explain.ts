// One-line causes for registry failures: which registry the reference points to, which server kiln
// authenticated against and with what (never the secret), and what to change. Packer printed
// "Bad exit status: 1" for all of these; seed 000 lost a day to a login_server that named another
// registry than the repository did.
import type { Classified } from "./classify.js";
import { describeSource, type ResolvedAuth } from "./resolve.js";
import { sameRegistry, serverHost } from "./server-name.js";
import { optionSetting, type TemplateFormat } from "../template/option-text.js";

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
  /** The syntax of the template being run, for the option a fix names (JSON when absent). */
  templateFormat?: TemplateFormat;
}

/** Set when the template's login names another registry than the reference. */
export function loginMismatch(login: TemplateLoginSetting | undefined, registry: string): string | undefined {
  if (!login) return undefined;
  if (login.option === "ecr_login" && login.server === "") return undefined;
  return sameRegistry(login.server, registry) ? undefined : serverHost(login.server);
}

/**
 * What the template's login says about where its credentials go, and the fix: login_server set to
 * the repository's registry (an unset login_server means Docker Hub, as `docker login` without a
 * server), or the repository moved to the login's registry.
 */
function loginAdvice(
  login: TemplateLoginSetting,
  registry: string,
  repository: string,
  format: TemplateFormat | undefined,
): { where: string; fix: string } {
  const loginHost = serverHost(login.server);
  const setServer = `set ${optionSetting(format, "login_server", registry)}`;
  if (login.server === "") {
    return {
      where: `login_server is not set, so the ${login.option} credentials are for ${loginHost} (Docker Hub), not ${registry}`,
      fix: `${setServer} (the repository's registry)`,
    };
  }
  return {
    where: `login_server is ${loginHost}, so the ${login.option} credentials are for ${loginHost}, not ${registry}`,
    fix: `${setServer} (the repository's registry), or make the repository ${loginHost}/${repository}`,
  };
}

/** The up-front warning for a login_server that does not match the reference's registry. */
export function mismatchWarning(
  login: TemplateLoginSetting,
  ref: string,
  registry: string,
  repository: string,
  format?: TemplateFormat,
): string {
  const { where, fix } = loginAdvice(login, registry, repository, format);
  return `Warning: ${ref} points to registry ${registry}, but ${where}. Fix: ${fix}`;
}

/** The same advice for `kiln validate`: [summary, detail]. */
export function mismatchDiagnostic(
  login: TemplateLoginSetting,
  repositoryText: string,
  registry: string,
  repository: string,
  format?: TemplateFormat,
): { summary: string; detail: string } {
  const { where, fix } = loginAdvice(login, registry, repository, format);
  const summary =
    login.server === ""
      ? `login_server is not set, so the ${login.option} credentials are for ${serverHost("")} (Docker Hub), but the repository ${JSON.stringify(repositoryText)} points to ${registry}`
      : `login_server ${serverHost(login.server)} is not the registry the repository ${JSON.stringify(repositoryText)} points to (${registry})`;
  return {
    summary,
    detail: `${login.server === "" ? "" : `${where}. `}The push goes to ${registry}, which will likely answer "denied" or "no basic auth credentials". Fix: ${fix}.`,
  };
}

export function explainRegistryFailure(f: RegistryFailure): string {
  // The engine prefixes its errors with the action ("push ref: …"); the head already says it.
  const cause = oneLine(f.failure.message).replace(/^(?:push|pull) \S+: /, "");
  const head = f.exhausted
    ? `${f.action} of ${f.ref} failed after ${f.attempts} attempts${f.elapsedMs !== undefined ? ` over ${seconds(f.elapsedMs)}` : ""}: ${f.failure.reason} (${cause})`
    : `${f.action} of ${f.ref} failed: ${cause}`;
  if (f.failure.category === "unreachable" || f.failure.category === "host-unknown") {
    // The connection failed before any request: whatever credentials kiln had were never used,
    // so nothing about them (or the repository's name) can be the cause.
    return `${head}; the registry ${f.registry} could not be reached, so no credentials were tried. ${fixFor(f)}`;
  }
  const used = `kiln authenticated against ${f.resolved.server} with ${describeSource(f.resolved)}`;
  const where = `${f.ref} points to registry ${f.registry}; ${f.resolved.source === "none" ? `kiln found no credentials for ${f.registry}` : used}`;
  return `${head}. ${where}. ${fixFor(f)}`;
}

function fixFor(f: RegistryFailure): string {
  const reg = f.registry;
  const otherHost = loginMismatch(f.login, reg);
  const authProblem = f.failure.category === "unauthorized" || f.failure.category === "denied";
  if (otherHost !== undefined && authProblem && f.login) {
    const { where, fix } = loginAdvice(f.login, reg, f.repository, f.templateFormat);
    return `The template's ${where}. Fix: ${fix}`;
  }
  const source = f.resolved.source;
  switch (f.failure.category) {
    case "unauthorized":
      if (source === "none") {
        return `Fix: set ${optionSetting(f.templateFormat, "login", true)} with login_username and login_password for ${reg}, or run \`docker login ${reg}\` (kiln reads the Docker config)`;
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
      return `Fix: check that ${reg} is the registry's host name and that the Docker engine can resolve it (the engine connects to the registry, not kiln)`;
    case "unreachable":
      return `Fix: check that ${reg} is running and reachable from the Docker engine (the engine connects to the registry, not kiln), then build again`;
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
