// Packer's build-generated data, and its substitution into configs just before a component runs.
// Loaders render `{{ build \`ID\` }}` / `build.ID` as sentinels because the container does not
// exist yet.
import { randomUUID } from "node:crypto";
import { BUILD_DATA_SENTINEL_RE } from "../template/types.js";
import { isOutputName, outputUses } from "../template/output-names.js";
import { BuildError } from "./errors.js";

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

/**
 * substituteBuildData for a component about to run: an output it uses that no step has produced
 * (so far) is an error naming both, instead of an empty string in a tag or a command.
 */
export function resolveBuildData<T>(value: T, data: BuildData, user: string): T {
  const missing = outputUses(value, BUILD_DATA_SENTINEL_RE).filter((k) => data[k] === undefined);
  if (missing.length > 0) {
    const names = missing.map((k) => `"${k}"`).join(", ");
    const have = Object.keys(data).filter(isOutputName);
    throw new BuildError(
      `${user} uses the build output${missing.length > 1 ? "s" : ""} ${names}, which no step before it produced` +
        (have.length > 0 ? ` (outputs so far: ${have.join(", ")})` : " (no step produced any output)") +
        `. A shell provisioner publishes one by appending a line to the file named by $KILN_OUTPUT: echo "${missing[0]}=value" >> "$KILN_OUTPUT".`,
    );
  }
  return substituteBuildData(value, data);
}
