// X-Registry-Auth: JSON credentials in URL-safe base64. Node's "base64url" drops the `=` padding,
// which Podman 4.3 rejects ("unexpected EOF"), so the padding is kept by hand.
import type { RegistryAuth } from "./types.js";

export const REGISTRY_AUTH_HEADER = "X-Registry-Auth";

export function encodeRegistryAuth(auth: RegistryAuth | undefined): string {
  const fields: RegistryAuth = {};
  // Only set fields are sent: an empty `{}` means "anonymous", which Docker 20.10 still requires
  // on push.
  if (auth?.username !== undefined) fields.username = auth.username;
  if (auth?.password !== undefined) fields.password = auth.password;
  if (auth?.identitytoken !== undefined) fields.identitytoken = auth.identitytoken;
  if (auth?.serveraddress !== undefined) fields.serveraddress = auth.serveraddress;
  return Buffer.from(JSON.stringify(fields), "utf8")
    .toString("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}

export function registryAuthHeaders(auth: RegistryAuth | undefined): Record<string, string> {
  return { [REGISTRY_AUTH_HEADER]: encodeRegistryAuth(auth) };
}
