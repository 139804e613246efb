// Credentials for the base image's pull: the builder's login / ecr_login options for their server,
// else Docker's own chain (config.json auths, credsStore, credHelpers) for the image's registry.
import type { RegistryAuth } from "../../engine/types.js";
import { ImageReference } from "../../engine/reference.js";
import { resolveAuth, describeSource } from "../../auth/resolve.js";
import type { DockerBuilderConfig } from "./schema.js";
import type { BuildUi } from "../../ui/ui.js";

export async function resolvePullAuth(
  c: DockerBuilderConfig,
  image: string,
  ui: BuildUi,
  addSecret: (v: string) => void,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<RegistryAuth | undefined> {
  const ref = ImageReference.tryParse(image);
  if (!ref) return undefined;
  const resolved = await resolveAuth(ref.registry, {
    env,
    signal,
    onSecret: addSecret,
    onWarning: (w) => ui.error(w),
    templateLogin:
      c.login && !c.ecr_login
        ? { server: c.login_server, username: c.login_username, password: c.login_password }
        : undefined,
    ecr: c.ecr_login
      ? {
          server: c.login_server,
          accessKey: c.aws_access_key || undefined,
          secretKey: c.aws_secret_key || undefined,
          sessionToken: c.aws_token || undefined,
          profile: c.aws_profile || undefined,
        }
      : undefined,
  });
  if (resolved.auth) ui.message(`Using credentials for ${resolved.server} from ${describeSource(resolved)}`);
  return resolved.auth;
}
