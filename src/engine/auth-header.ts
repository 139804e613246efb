// X-Registry-Auth: JSON credentials in URL-safe base64. Node's "base64url" drops the `=` padding,
// which Podman 4.3 rejects ("unexpected EOF"), so the padding is kept by hand.
import type { RegistryAuth } from "./types.js";

export const REGISTRY_AUTH_HEADER = "X-Registry-Auth";
export const REGISTRY_CONFIG_HEADER = "X-Registry-Config";

/** Only set fields are sent: an empty `{}` means "anonymous", which Docker 20.10 still requires on push. */
function setFields(auth: RegistryAuth | undefined): RegistryAuth {
  const fields: RegistryAuth = {};
  if (auth?.username !== undefined) fields.username = auth.username;
  if (auth?.password !== undefined) fields.password = auth.password;
  if (auth?.identitytoken !== undefined) fields.identitytoken = auth.identitytoken;
  if (auth?.serveraddress !== undefined) fields.serveraddress = auth.serveraddress;
  return fields;
}

function paddedUrlBase64(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8")
    .toString("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}

export function encodeRegistryAuth(auth: RegistryAuth | undefined): string {
  return paddedUrlBase64(setFields(auth));
}

export function registryAuthHeaders(auth: RegistryAuth | undefined): Record<string, string> {
  return { [REGISTRY_AUTH_HEADER]: encodeRegistryAuth(auth) };
}

/**
 * X-Registry-Config (POST /build): the credentials of every registry the build's FROM images may
 * come from, keyed by server address (Docker Hub: `https://index.docker.io/v1/`).
 */
export function registryConfigHeaders(
  config: Record<string, RegistryAuth> | undefined,
): Record<string, string> {
  if (!config || Object.keys(config).length === 0) return {};
  const fields = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, setFields(v)]));
  return { [REGISTRY_CONFIG_HEADER]: paddedUrlBase64(fields) };
}
