// Packer's build-generated data, and its substitution into configs just before a component runs.
// Loaders render `{{ build \`ID\` }}` / `build.ID` as sentinels because the container does not
// exist yet.
import { randomUUID } from "node:crypto";
import { BUILD_DATA_SENTINEL_RE } from "../template/types.js";

/** Packer's build-generated data (`{{ build \`X\` }}`, HCL `build.X`). */
export interface BuildData {
  ID: string;
  ConnType: string;
  Host: string;
  Port: string;
  User: string;
  Password: string;
  PackerRunUUID: string;
  PackerHTTPAddr: string;
  PackerHTTPIP: string;
  PackerHTTPPort: string;
  ImageSha256: string;
  SourceImageSha256: string;
  SourceImageDigest: string;
  [key: string]: string;
}

export function initialBuildData(): BuildData {
  return {
    ID: "",
    ConnType: "docker",
    Host: "",
    Port: "0",
    User: "",
    Password: "",
    PackerRunUUID: randomUUID(),
    PackerHTTPAddr: "ERR_HTTP_ADDR_NOT_IMPLEMENTED_BY_BUILDER",
    PackerHTTPIP: "ERR_HTTP_IP_NOT_IMPLEMENTED_BY_BUILDER",
    PackerHTTPPort: "ERR_HTTP_PORT_NOT_IMPLEMENTED_BY_BUILDER",
    ImageSha256: "ERR_IMAGE_SHA256_NOT_FOUND",
    SourceImageSha256: "ERR_SOURCE_IMAGE_SHA256_NOT_FOUND",
    SourceImageDigest: "ERR_SOURCE_IMAGE_DIGEST_NOT_FOUND",
  };
}

export function substituteBuildData<T>(value: T, data: BuildData): T {
  if (typeof value === "string") {
    return value.replace(BUILD_DATA_SENTINEL_RE, (_, key: string) => data[key] ?? "") as T;
  }
  if (Array.isArray(value)) return (value as unknown[]).map((v) => substituteBuildData(v, data)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, substituteBuildData(v, data)]),
    ) as T;
  }
  return value;
}
